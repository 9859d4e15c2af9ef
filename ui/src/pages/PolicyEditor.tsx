import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { ApiError, unclaimed } from '../api/problem';
import type { FirewallPolicy, SubscriberFirewall } from '../api/types';
import { FieldMessages } from '../components/FieldMessages';
import { fromPolicy, MAX_RULES, newRule, toPolicy, validatePolicy, type PolicyDraft, type RuleDraft } from './policyForm';

const RULE_FIELDS = ['action', 'direction', 'protocol', 'remoteCidr', 'portFrom', 'portTo', 'description'] as const;

/**
 * Edits a subscriber's whole policy. Each rule is checked as it is typed; on save the
 * API's errors (`rules[3].remoteCidr`) appear next to the rule and field they name.
 */
export function PolicyEditor({ subscriberId, initial, onSaved }: { subscriberId: string; initial?: FirewallPolicy; onSaved: (r: SubscriberFirewall) => void }) {
  const [draft, setDraft] = useState<PolicyDraft>(() => fromPolicy(initial));
  const [server, setServer] = useState<Record<string, string[]>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const local = useMemo(() => validatePolicy(draft), [draft]);
  const msgs = (path: string) => [...(local[path] ?? []), ...(server[path] ?? []).filter((m) => !(local[path] ?? []).includes(m))];

  const paths = useMemo(() => {
    const p = ['defaultInbound', 'defaultOutbound', 'stateful', 'rules'];
    draft.rules.forEach((_, i) => {
      p.push(`rules[${i}]`);
      RULE_FIELDS.forEach((f) => p.push(`rules[${i}].${f}`));
    });
    return p;
  }, [draft.rules]);
  const other = unclaimed(server, (f) => paths.includes(f));

  function change(next: PolicyDraft, path?: string) {
    setDraft(next);
    setSaved(null);
    if (path && server[path]) {
      const s = { ...server };
      delete s[path];
      setServer(s);
    }
  }
  const setRule = (i: number, patch: Partial<RuleDraft>, field: string) =>
    change({ ...draft, rules: draft.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) }, `rules[${i}].${field}`);
  const move = (i: number, d: number) => {
    const rules = [...draft.rules];
    const [r] = rules.splice(i, 1);
    rules.splice(i + d, 0, r);
    setServer({}); // indices changed: old messages would point at the wrong rule
    change({ ...draft, rules });
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setSummary(null);
    setSaved(null);
    if (Object.keys(local).length) {
      setSummary(`Fix the ${Object.keys(local).length} problem(s) marked below first.`);
      return;
    }
    setBusy(true);
    try {
      const r = await api.putPolicy(subscriberId, toPolicy(draft));
      setServer({});
      setSaved(`Saved as generation ${r.generation}; the firewall applies it live.`);
      onSaved(r);
    } catch (err) {
      if (err instanceof ApiError) {
        setServer(err.fields);
        setSummary(err.message);
      } else setSummary((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const rid = (i: number, f: string) => `rule-${i}-${f}`;
  const describedBy = (i: number, f: string) => (msgs(`rules[${i}].${f}`).length ? `${rid(i, f)}-err` : undefined);
  const sel = (i: number, f: 'action' | 'direction' | 'protocol', opts: string[], label: string) => (
    <td>
      <select id={rid(i, f)} aria-label={`Rule ${i + 1} ${label}`} value={draft.rules[i][f]} onChange={(e) => setRule(i, { [f]: e.target.value }, f)}
        aria-invalid={msgs(`rules[${i}].${f}`).length ? true : undefined} aria-describedby={describedBy(i, f)}>
        {opts.map((o) => <option key={o}>{o}</option>)}
      </select>
      <FieldMessages id={`${rid(i, f)}-err`} messages={msgs(`rules[${i}].${f}`)} />
    </td>
  );
  const txt = (i: number, f: 'remoteCidr' | 'portFrom' | 'portTo' | 'description', label: string, placeholder = '') => (
    <td>
      <input id={rid(i, f)} aria-label={`Rule ${i + 1} ${label}`} value={draft.rules[i][f]} placeholder={placeholder}
        inputMode={f.startsWith('port') ? 'numeric' : undefined}
        onChange={(e) => setRule(i, { [f]: e.target.value }, f)}
        aria-invalid={msgs(`rules[${i}].${f}`).length ? true : undefined} aria-describedby={describedBy(i, f)} />
      <FieldMessages id={`${rid(i, f)}-err`} messages={msgs(`rules[${i}].${f}`)} />
    </td>
  );

  return (
    <form onSubmit={save} noValidate aria-label="Firewall policy" className="policy">
      {summary ? <div role="alert" className="notice bad" data-testid="policy-error"><p>{summary}</p>
        {other.length ? <ul>{other.map((o, i) => <li key={i}><code>{o.field}</code>: {o.message}</li>)}</ul> : null}</div> : null}
      {saved ? <p role="status" className="notice ok">{saved}</p> : null}
      <div className="grid">
        <label>Default inbound
          <select value={draft.defaultInbound} onChange={(e) => change({ ...draft, defaultInbound: e.target.value }, 'defaultInbound')}>
            <option>DENY</option><option>ALLOW</option>
          </select>
        </label>
        <label>Default outbound
          <select value={draft.defaultOutbound} onChange={(e) => change({ ...draft, defaultOutbound: e.target.value }, 'defaultOutbound')}>
            <option>ALLOW</option><option>DENY</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.stateful} onChange={(e) => change({ ...draft, stateful: e.target.checked }, 'stateful')} />
          Stateful (let replies to allowed outbound flows in)
        </label>
      </div>
      <FieldMessages id="rules-err" messages={msgs('rules')} />
      <div className="overflow-auto">
        <table className="rules">
          <caption className="muted">Rules, first match wins per direction ({draft.rules.length} of at most {MAX_RULES})</caption>
          <thead>
            <tr>
              <th scope="col">#</th><th scope="col">Action</th><th scope="col">Direction</th><th scope="col">Protocol</th>
              <th scope="col">Remote network</th><th scope="col">Port from</th><th scope="col">Port to</th><th scope="col">Description</th><th scope="col"><span className="sr-only">Order and remove</span></th>
            </tr>
          </thead>
          <tbody>
            {draft.rules.map((_, i) => (
              <tr key={i} data-rule={i}>
                <th scope="row">{i + 1}<FieldMessages id={`rule-${i}-row-err`} messages={msgs(`rules[${i}]`)} /></th>
                {sel(i, 'action', ['ALLOW', 'DENY'], 'action')}
                {sel(i, 'direction', ['OUTBOUND', 'INBOUND'], 'direction')}
                {sel(i, 'protocol', ['TCP', 'UDP', 'ICMP', 'ANY'], 'protocol')}
                {txt(i, 'remoteCidr', 'remote network', 'any')}
                {txt(i, 'portFrom', 'port from', 'any')}
                {txt(i, 'portTo', 'port to')}
                {txt(i, 'description', 'description')}
                <td className="rule-actions">
                  <button type="button" className="outline secondary small" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
                  <button type="button" className="outline secondary small" aria-label={`Move rule ${i + 1} down`} disabled={i === draft.rules.length - 1} onClick={() => move(i, 1)}>↓</button>
                  <button type="button" className="outline secondary small" aria-label={`Remove rule ${i + 1}`} onClick={() => { setServer({}); change({ ...draft, rules: draft.rules.filter((_, j) => j !== i) }); }}>✕</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        <button type="button" className="outline" onClick={() => change({ ...draft, rules: [...draft.rules, newRule()] })} disabled={draft.rules.length >= MAX_RULES}>Add rule</button>
        <button type="submit" aria-busy={busy} disabled={busy}>Save policy</button>
      </div>
    </form>
  );
}
