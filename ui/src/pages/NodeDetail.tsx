import { useEffect, useState } from 'react';
import { Button } from 'react-aria-components';
import { api } from '../api/client';
import { ApiError } from '../api/problem';
import type { EdgeNode } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { bytes, duration, ms, shortId } from '../components/format';
import { Sparkline } from '../components/Sparkline';
import { StatusBadge } from '../components/StatusBadge';
import { useLive } from '../live/LiveProvider';
import { href } from '../router';

type Action = 'cordon' | 'uncordon' | 'drain';
const ACTION_TEXT: Record<Action, { title: string; body: string; confirm: string; danger: boolean }> = {
  cordon: { title: 'Cordon node?', body: 'No new NF instances will be placed on it. Running guests stay.', confirm: 'Cordon', danger: false },
  uncordon: { title: 'Uncordon node?', body: 'The node takes new NF instances again (this also ends a drain).', confirm: 'Uncordon', danger: false },
  drain: {
    title: 'Drain node?',
    body: 'The node is cordoned and every NF instance on it is re-placed on another node; its guests here are destroyed. Instances that fit nowhere stay and are listed in the DRAIN operation.',
    confirm: 'Drain',
    danger: true,
  },
};

export function NodePage({ id }: { id: string }) {
  const { nodes, instances, history, store, loaded } = useLive();
  const [fetched, setFetched] = useState<EdgeNode | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [now, setNow] = useState(Date.now());
  const node = nodes[id] ?? fetched;

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (nodes[id] || !loaded) return;
    api.node(id).then(setFetched, (e: Error) => setLoadError(e.message));
  }, [id, loaded, nodes]);

  async function run(action: Action) {
    setPending(null);
    setResult(null);
    try {
      if (action === 'drain') {
        const op = await api.drain(id);
        store.upsertOperation(op);
        const n = await api.node(id);
        store.upsertNode(n);
        setResult({
          ok: op.state !== 'FAILED',
          text:
            op.state === 'FAILED'
              ? `Drain failed: ${op.error?.detail ?? op.error?.title ?? 'see the operation'}${op.error?.errors?.length ? ` (${op.error.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : ''}`
              : `Drain ${op.state.toLowerCase()}.`,
        });
      } else {
        const n = action === 'cordon' ? await api.cordon(id) : await api.uncordon(id);
        store.upsertNode(n);
        setResult({ ok: true, text: `${action === 'cordon' ? 'Cordoned' : 'Uncordoned'}: node is now ${n.status}.` });
      }
    } catch (e) {
      setResult({ ok: false, text: e instanceof ApiError ? e.message : (e as Error).message });
    }
  }

  if (!node) {
    return (
      <section>
        <h1 tabIndex={-1}>Edge node {id}</h1>
        {loadError ? <p role="alert">{loadError}</p> : <p aria-busy="true">Loading…</p>}
        <p><a href={href.overview}>Back to the overview</a></p>
      </section>
    );
  }
  const l = node.load ?? {};
  const guests = Object.values(instances)
    .filter((i) => i.node === id)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const text = pending ? ACTION_TEXT[pending] : null;

  return (
    <section aria-labelledby="node-h">
      <p className="crumbs"><a href={href.overview}>Overview</a> / edge node</p>
      <div className="title-row">
        <h1 id="node-h" tabIndex={-1}>
          {node.name}
        </h1>
        <StatusBadge value={node.status} label="Node status" />
      </div>
      <div className="actions">
        <Button className="secondary" onPress={() => setPending('cordon')} isDisabled={node.cordoned}>Cordon</Button>
        <Button className="secondary" onPress={() => setPending('uncordon')} isDisabled={!node.cordoned && node.status !== 'DRAINING'}>Uncordon</Button>
        <Button className="danger" onPress={() => setPending('drain')}>Drain</Button>
      </div>
      {result ? (
        <p role="status" className={result.ok ? 'notice ok' : 'notice bad'} data-testid="action-result">
          {result.text}
        </p>
      ) : null}
      {text ? (
        <ConfirmDialog
          isOpen
          title={`${text.title.replace('node', node.name)}`}
          confirmLabel={text.confirm}
          danger={text.danger}
          onCancel={() => setPending(null)}
          onConfirm={() => run(pending!)}
        >
          <p>{text.body}</p>
        </ConfirmDialog>
      ) : null}

      <div className="grid two">
        <dl className="facts">
          <div><dt>Status</dt><dd>{node.status}{node.cordoned ? ' (cordoned)' : ''}</dd></div>
          <div><dt>Driver</dt><dd>{node.driver ?? '–'} {node.agentVersion ? `(agent ${node.agentVersion})` : ''}</dd></div>
          <div><dt>Capacity</dt><dd>{node.capacity.cpus} CPUs, {bytes(node.capacity.memoryBytes)}, {node.capacity.guestSlots} guest slots</dd></div>
          <div><dt>Guests</dt><dd>{l.guestsRunning ?? '–'} running of {l.guestsTotal ?? '–'}</dd></div>
          <div><dt>Memory</dt><dd>{bytes(l.memoryUsedBytes)} used, {bytes(l.memoryAvailableBytes)} available</dd></div>
          <div><dt>Shell pool</dt><dd>{l.poolReady ?? '–'} / {l.poolTarget ?? '–'} ready</dd></div>
          <div><dt>Boot latency</dt><dd>p50 {ms(l.bootP50Ms)}, p99 {ms(l.bootP99Ms)}</dd></div>
          <div><dt>Labels</dt><dd>{Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '–'}</dd></div>
          <div><dt>Last heartbeat</dt><dd>{node.lastSeen ? `${duration(node.lastSeen, now)} ago` : '–'}</dd></div>
        </dl>
        <Sparkline points={history[id] ?? []} label={`${node.name} history`} />
      </div>

      <h2>Guests ({guests.length})</h2>
      {guests.length === 0 ? (
        <p>No NF instances on this node.</p>
      ) : (
        <div className="overflow-auto">
          <table className="striped">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">NF</th>
                <th scope="col">State</th>
                <th scope="col">Subscriber / labels</th>
                <th scope="col" title="time since the instance was created (the API reports no boot time)">Age</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {guests.map((g) => (
                <tr key={g.id} data-instance={g.id}>
                  <td><code title={g.id}>{g.name ?? shortId(g.id)}</code></td>
                  <td>{g.nf}{g.nfVersion ? ` ${g.nfVersion}` : ''}</td>
                  <td><StatusBadge value={g.state} />{g.desiredState === 'DELETED' ? ' (deleting)' : ''}</td>
                  <td>{labelText(g.labels)}</td>
                  <td>{duration(g.createdAt, now)}</td>
                  <td>{g.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return '–';
  const sub = labels.subscriber ?? labels['mayfly.dev/subscriber'];
  const rest = Object.entries(labels).filter(([k]) => k !== 'subscriber' && k !== 'mayfly.dev/subscriber').map(([k, v]) => `${k}=${v}`);
  return [sub ? `subscriber ${sub}` : null, ...rest].filter(Boolean).join(', ') || '–';
}
