import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { ApiError, messagesFor, unclaimed } from '../api/problem';
import { FieldMessages } from '../components/FieldMessages';
import { href } from '../router';
import { emptyDraft, formFieldPaths, parseDocument, toDescriptor, validateDraft, type DescriptorDraft, type Errors } from './descriptorForm';

const fid = (path: string) => 'f-' + path.replace(/[^a-zA-Z0-9]+/g, '-');

/**
 * Onboard an NF descriptor: paste YAML/JSON to fill the form, or type into it. Rules of
 * the schema are checked as you type; what the API rejects (problem+json errors[]) is
 * shown next to the field it names, anything else above the form.
 */
export function OnboardPage() {
  const [draft, setDraft] = useState<DescriptorDraft>(emptyDraft);
  const [doc, setDoc] = useState('');
  const [docError, setDocError] = useState<string | null>(null);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<{ fields: Errors; summary: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const local = useMemo(() => validateDraft(draft), [draft]);
  const shown = (path: string): string[] => {
    const mine = submitted || touched[path] ? local[path] ?? [] : [];
    const api = server ? messagesFor(server.fields, path) : [];
    return [...mine, ...api.filter((m) => !mine.includes(m))];
  };
  const paths = formFieldPaths(draft);
  const other = server ? unclaimed(server.fields, (f) => paths.includes(f)) : [];

  function update(patch: Partial<DescriptorDraft>, path: string) {
    setDraft((d) => ({ ...d, ...patch }));
    setTouched((t) => ({ ...t, [path]: true }));
    if (server) {
      // the API's message about this field is stale once the user edits it
      const fields = { ...server.fields };
      delete fields[path];
      setServer({ ...server, fields });
    }
  }

  function fill() {
    const r = parseDocument(doc);
    if (r.error) {
      setDocError(r.error);
      return;
    }
    setDocError(null);
    setDraft(r.draft!);
    setSubmitted(true);
    setServer(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    setDone(null);
    if (Object.keys(local).length > 0) {
      document.getElementById(fid(Object.keys(local)[0]))?.focus();
      return;
    }
    setBusy(true);
    try {
      const d = await api.onboard(toDescriptor(draft));
      setServer(null);
      setDone(d.name);
    } catch (err) {
      if (err instanceof ApiError) {
        setServer({ fields: err.fields, summary: err.message });
        const first = Object.keys(err.fields).find((f) => paths.includes(f));
        if (first) setTimeout(() => document.getElementById(fid(first))?.focus(), 0);
      } else setServer({ fields: {}, summary: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const input = (path: string, label: string, value: string, onChange: (v: string) => void, opts: { type?: string; hint?: string; required?: boolean } = {}) => {
    const msgs = shown(path);
    const hintId = opts.hint ? `${fid(path)}-hint` : undefined;
    return (
      <div className="field">
        <label htmlFor={fid(path)}>
          {label}
          {opts.required ? ' (required)' : ''}
        </label>
        <input
          id={fid(path)}
          name={path}
          type={opts.type ?? 'text'}
          inputMode={opts.type === 'number' ? 'numeric' : undefined}
          value={value}
          aria-invalid={msgs.length ? true : undefined}
          aria-describedby={[msgs.length ? `${fid(path)}-err` : '', hintId ?? ''].join(' ').trim() || undefined}
          onChange={(e) => onChange(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, [path]: true }))}
        />
        {opts.hint ? <small id={hintId}>{opts.hint}</small> : null}
        <FieldMessages id={`${fid(path)}-err`} messages={msgs} />
      </div>
    );
  };

  return (
    <section aria-labelledby="onboard-h">
      <p className="crumbs"><a href={href.catalog}>Catalog</a> / onboard</p>
      <h1 id="onboard-h" tabIndex={-1}>Onboard a descriptor</h1>
      {done ? (
        <p role="status" className="notice ok" data-testid="onboard-done">
          Onboarded <a href={href.descriptor(done)}>{done}</a>.
        </p>
      ) : null}

      <details open={!draft.name}>
        <summary>Paste a descriptor (YAML or JSON)</summary>
        <label htmlFor="doc">Descriptor document</label>
        <textarea
          id="doc"
          rows={8}
          className="mono"
          value={doc}
          aria-invalid={docError ? true : undefined}
          aria-describedby={docError ? 'doc-err' : 'doc-hint'}
          onChange={(e) => setDoc(e.target.value)}
          placeholder={'name: my-nf\nversion: "1.0"\nports: [{name: in}]\nresources: {memoryMiB: 16}\nclickConfig: |\n  FromDevice(in) -> Discard;'}
        />
        <small id="doc-hint">The form below is filled from it; nothing is sent until you press Onboard.</small>
        <FieldMessages id="doc-err" messages={docError ? [docError] : []} />
        <button type="button" className="secondary" onClick={fill}>
          Fill the form from this document
        </button>
      </details>

      {server && (server.summary || other.length) ? (
        <div role="alert" className="notice bad" data-testid="onboard-error">
          <p>{server.summary}</p>
          {other.length ? (
            <ul>
              {other.map((o, i) => (
                <li key={i}>
                  <code>{o.field}</code>: {o.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      <form onSubmit={submit} noValidate aria-label="Descriptor">
        <div className="grid">
          {input('name', 'Name', draft.name, (v) => update({ name: v }, 'name'), { required: true, hint: 'lower-case letters, digits and -' })}
          {input('version', 'Version', draft.version, (v) => update({ version: v }, 'version'), { required: true })}
          {input('vendor', 'Vendor', draft.vendor, (v) => update({ vendor: v }, 'vendor'))}
        </div>
        {input('description', 'Description', draft.description, (v) => update({ description: v }, 'description'))}

        <fieldset>
          <legend>Ports</legend>
          <FieldMessages id="f-ports-err" messages={shown('ports')} />
          {draft.ports.map((p, i) => (
            <div className="port-row" key={i}>
              {input(`ports[${i}].name`, `Port ${i + 1} name`, p.name, (v) =>
                update({ ports: draft.ports.map((x, j) => (j === i ? { ...x, name: v } : x)) }, `ports[${i}].name`),
              )}
              {input(`ports[${i}].description`, `Port ${i + 1} description`, p.description, (v) =>
                update({ ports: draft.ports.map((x, j) => (j === i ? { ...x, description: v } : x)) }, `ports[${i}].description`),
              )}
              <button type="button" className="outline secondary small" aria-label={`Remove port ${i + 1}`} onClick={() => update({ ports: draft.ports.filter((_, j) => j !== i) }, 'ports')}>
                Remove
              </button>
              <FieldMessages id={`${fid(`ports[${i}]`)}-err`} messages={shown(`ports[${i}]`)} />
            </div>
          ))}
          <button type="button" className="outline small" onClick={() => update({ ports: [...draft.ports, { name: '', description: '' }] }, 'ports')}>
            Add port
          </button>
        </fieldset>

        <fieldset>
          <legend>Resources</legend>
          <FieldMessages id="f-resources-err" messages={shown('resources')} />
          <div className="grid">
            {input('resources.memoryMiB', 'Memory (MiB)', draft.memoryMiB, (v) => update({ memoryMiB: v }, 'resources.memoryMiB'), { required: true, type: 'number' })}
            {input('resources.cpuWeight', 'CPU weight (default 100)', draft.cpuWeight, (v) => update({ cpuWeight: v }, 'resources.cpuWeight'), { type: 'number' })}
            {input('resources.pidsMax', 'Max processes (default 16)', draft.pidsMax, (v) => update({ pidsMax: v }, 'resources.pidsMax'), { type: 'number' })}
          </div>
        </fieldset>

        <div className="field">
          <label htmlFor={fid('clickConfig')}>Click configuration (required)</label>
          <textarea
            id={fid('clickConfig')}
            name="clickConfig"
            rows={8}
            className="mono"
            value={draft.clickConfig}
            aria-invalid={shown('clickConfig').length ? true : undefined}
            aria-describedby={shown('clickConfig').length ? `${fid('clickConfig')}-err` : undefined}
            onChange={(e) => update({ clickConfig: e.target.value }, 'clickConfig')}
            onBlur={() => setTouched((t) => ({ ...t, clickConfig: true }))}
          />
          <FieldMessages id={`${fid('clickConfig')}-err`} messages={shown('clickConfig')} />
        </div>
        <button type="submit" aria-busy={busy} disabled={busy}>
          Onboard
        </button>
      </form>
    </section>
  );
}
