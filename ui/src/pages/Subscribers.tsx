import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { ApiError, messagesFor, unclaimed } from '../api/problem';
import type { Subscriber, SubscriberFirewall } from '../api/types';
import { FieldMessages } from '../components/FieldMessages';
import { time } from '../components/format';
import { StatusBadge } from '../components/StatusBadge';
import { useLive } from '../live/LiveProvider';
import { href } from '../router';
import { FirewallCountersPanel } from './FirewallCountersPanel';
import { HandoverPanel } from './HandoverPanel';
import { PolicyEditor } from './PolicyEditor';
import { looksLikeIp } from './policyForm';

/** Search by subscriber id (prefix) or UE address; create a subscriber. */
export function SubscribersPage() {
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<Subscriber[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);

  async function search(e?: FormEvent) {
    e?.preventDefault();
    setError(null);
    const q = query.trim();
    try {
      const p = await api.subscribers(q === '' ? {} : looksLikeIp(q) ? { ueIp: q } : { idPrefix: q });
      setItems(p.items);
      setTotal(p.total);
    } catch (err) {
      setError((err as Error).message);
      setItems([]);
    }
  }
  useEffect(() => {
    void search();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <section aria-labelledby="subs-h">
      <h1 id="subs-h" tabIndex={-1}>Subscribers</h1>
      <form onSubmit={search} className="search-row" aria-label="Find subscribers">
        <label htmlFor="sub-q">Subscriber id (or its beginning) or UE IP address</label>
        <div className="inline">
          <input id="sub-q" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="imsi-00101… or 10.45.0.7" />
          <button type="submit">Search</button>
        </div>
      </form>
      {error ? <p role="alert" className="notice bad">{error}</p> : null}
      {items ? (
        <>
          <p role="status" className="muted">{items.length} of {total} subscribers shown</p>
          {items.length ? (
            <div className="overflow-auto">
              <table className="striped">
                <thead>
                  <tr>
                    <th scope="col">Subscriber</th><th scope="col">UE IP</th><th scope="col">Edge node</th>
                    <th scope="col">Attachment</th><th scope="col">Firewall</th><th scope="col">Enforces</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={s.id} data-subscriber={s.id}>
                      <td><a href={href.subscriber(s.id)}>{s.id}</a></td>
                      <td>{s.ueIp}</td>
                      <td><a href={href.node(s.edgeNode)}>{s.edgeNode}</a></td>
                      <td>{s.attachment}</td>
                      <td><StatusBadge value={s.firewall.state} /></td>
                      <td>{s.firewall.mode}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
      <CreateSubscriber onCreated={() => void search()} />
    </section>
  );
}

function CreateSubscriber({ onCreated }: { onCreated: () => void }) {
  const { nodes } = useLive();
  const nodeNames = Object.keys(nodes).sort();
  const [f, setF] = useState({ id: '', ueIp: '', edgeNode: '', attachment: '', failOpen: '' });
  const [fields, setFields] = useState<Record<string, string[]>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const local = useMemo(() => {
    const e: Record<string, string[]> = {};
    if (f.id && !/^((imsi|supi)-)?[0-9]{6,15}$/.test(f.id)) e.id = ['6-15 digits, optionally prefixed imsi- or supi-'];
    if (f.ueIp && !looksLikeIp(f.ueIp)) e.ueIp = ['an IPv4 address such as 10.45.0.7'];
    if (f.attachment && !/^[A-Za-z0-9_.-]{1,15}$/.test(f.attachment)) e.attachment = ['an interface name: 1-15 of A-Z a-z 0-9 _ . -'];
    return e;
  }, [f]);
  const msgs = (k: string) => [...(local[k] ?? []), ...messagesFor(fields, k)];
  const set = (k: keyof typeof f, v: string) => {
    setF({ ...f, [k]: v });
    if (fields[k]) {
      const n = { ...fields };
      delete n[k];
      setFields(n);
    }
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSummary(null);
    setDone(null);
    const missing: Record<string, string[]> = {};
    for (const k of ['id', 'ueIp', 'edgeNode', 'attachment'] as const) if (!f[k].trim()) missing[k] = ['is required'];
    if (Object.keys(missing).length || Object.keys(local).length) {
      setFields(missing);
      return;
    }
    try {
      const s = await api.createSubscriber({
        id: f.id.trim(), ueIp: f.ueIp.trim(), edgeNode: f.edgeNode, attachment: f.attachment.trim(),
        ...(f.failOpen ? { failOpen: f.failOpen === 'true' } : {}),
      });
      setFields({});
      setDone(s.id);
      onCreated();
    } catch (err) {
      if (err instanceof ApiError) {
        setFields(err.fields);
        const other = unclaimed(err.fields, (k) => ['id', 'ueIp', 'edgeNode', 'attachment', 'failOpen'].includes(k));
        setSummary([err.message, ...other.map((o) => `${o.field}: ${o.message}`)].join(' — '));
      } else setSummary((err as Error).message);
    }
  }
  const field = (k: 'id' | 'ueIp' | 'attachment', label: string) => (
    <div className="field">
      <label htmlFor={`new-${k}`}>{label}</label>
      <input id={`new-${k}`} value={f[k]} onChange={(e) => set(k, e.target.value)} aria-invalid={msgs(k).length ? true : undefined}
        aria-describedby={msgs(k).length ? `new-${k}-err` : undefined} />
      <FieldMessages id={`new-${k}-err`} messages={msgs(k)} />
    </div>
  );
  return (
    <details>
      <summary>Add a subscriber</summary>
      {done ? <p role="status" className="notice ok">Created <a href={href.subscriber(done)}>{done}</a>. Set its policy on its page.</p> : null}
      {summary ? <p role="alert" className="notice bad">{summary}</p> : null}
      <form onSubmit={submit} noValidate aria-label="New subscriber">
        <div className="grid">
          {field('id', 'Subscriber id (IMSI/SUPI)')}
          {field('ueIp', 'UE IP address')}
        </div>
        <div className="grid">
          <div className="field">
            <label htmlFor="new-edgeNode">Edge node</label>
            <select id="new-edgeNode" value={f.edgeNode} onChange={(e) => set('edgeNode', e.target.value)}
              aria-invalid={msgs('edgeNode').length ? true : undefined} aria-describedby={msgs('edgeNode').length ? 'new-edgeNode-err' : undefined}>
              <option value="">choose…</option>
              {nodeNames.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
            <FieldMessages id="new-edgeNode-err" messages={msgs('edgeNode')} />
          </div>
          {field('attachment', 'Attachment interface')}
          <div className="field">
            <label htmlFor="new-failOpen">Without a policy</label>
            <select id="new-failOpen" value={f.failOpen} onChange={(e) => set('failOpen', e.target.value)}>
              <option value="">controller default</option>
              <option value="false">block traffic (fail closed)</option>
              <option value="true">pass traffic (fail open)</option>
            </select>
          </div>
        </div>
        <button type="submit">Create subscriber</button>
      </form>
    </details>
  );
}

/** Where the subscriber's firewall runs, its state (polled every 2 s), and the policy editor. */
export function SubscriberPage({ id }: { id: string }) {
  const { nodes } = useLive();
  const [sub, setSub] = useState<Subscriber | null>(null);
  const [fw, setFw] = useState<SubscriberFirewall | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editorKey, setEditorKey] = useState(0);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const [s, p] = await Promise.all([api.subscriber(id), api.policy(id)]);
        if (!alive) return;
        setSub(s);
        setFw((prev) => {
          if (!prev) setEditorKey((k) => k + 1);
          return p;
        });
        setError(null);
      } catch (e) {
        if (alive) setError((e as Error).message);
      }
    };
    void load();
    const t = setInterval(load, 2000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [id]);

  const f = fw?.firewall ?? sub?.firewall;
  return (
    <section aria-labelledby="sub-h">
      <p className="crumbs"><a href={href.subscribers}>Subscribers</a> / subscriber</p>
      <div className="title-row">
        <h1 id="sub-h" tabIndex={-1}>{id}</h1>
        {f ? <StatusBadge value={f.state} label="Firewall state" /> : null}
      </div>
      {error ? <p role="alert" className="notice bad">{error}</p> : null}
      {sub && f ? (
        <div className="grid two">
          <dl className="facts" aria-label="Subscriber">
            <div><dt>UE IP</dt><dd>{sub.ueIp}</dd></div>
            <div><dt>Edge node</dt><dd><a href={href.node(sub.edgeNode)}>{sub.edgeNode}</a></dd></div>
            <div><dt>Attachment</dt><dd>{sub.attachment}</dd></div>
            <div><dt>Without policy</dt><dd>{sub.failOpen ? 'pass (fail open)' : 'block (fail closed)'}</dd></div>
          </dl>
          <dl className="facts" aria-label="Firewall">
            <div><dt>Firewall runs on</dt><dd data-testid="fw-node">{f.node ?? '– (no guest)'}</dd></div>
            <div><dt>Guest</dt><dd><code>{f.guestId ?? '–'}</code></dd></div>
            <div><dt>State</dt><dd>{f.state}</dd></div>
            <div><dt>Enforces</dt><dd>{f.mode === 'POLICY' ? 'the policy' : f.mode === 'FAIL_OPEN' ? 'nothing (passes all)' : 'nothing passes (blocked)'}</dd></div>
            <div><dt>Policy generation</dt><dd>wanted {f.generation ?? fw?.generation ?? '–'}, applied {f.appliedGeneration ?? '–'}</dd></div>
            <div><dt>Last change</dt><dd>{time(f.updatedAt)}</dd></div>
            {f.restarts ? <div><dt>Automatic restarts</dt><dd data-testid="fw-restarts">{f.restarts}, last {time(f.lastRestartAt)}</dd></div> : null}
            {f.error ? <div><dt>Error</dt><dd className="op-error">{f.error}</dd></div> : null}
          </dl>
        </div>
      ) : !error ? <p aria-busy="true">Loading…</p> : null}
      <h2>Counters</h2>
      {f && f.state !== 'NONE' ? <FirewallCountersPanel subscriberId={id} /> : <p className="muted">No firewall guest: no counters.</p>}
      <h2>Handover</h2>
      {sub ? <HandoverPanel subscriberId={id} currentNode={sub.edgeNode} attachment={sub.attachment} nodes={Object.values(nodes)} /> : null}
      <h2>Firewall policy</h2>
      {fw ? <PolicyEditor key={editorKey} subscriberId={id} initial={fw.policy} onSaved={(r) => setFw(r)} /> : null}
    </section>
  );
}
