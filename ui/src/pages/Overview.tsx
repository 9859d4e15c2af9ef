import { bytes, ms, pct, time, shortId } from '../components/format';
import { Sparkline } from '../components/Sparkline';
import { StatusBadge } from '../components/StatusBadge';
import { useLive } from '../live/LiveProvider';
import { href } from '../router';
import type { EdgeNode, Operation } from '../api/types';

export function OverviewPage() {
  const { nodes, instances, operations, history, loaded } = useLive();
  const list = Object.values(nodes).sort((a, b) => a.name.localeCompare(b.name));
  const inst = Object.values(instances);
  const byStatus = (s: string) => list.filter((n) => n.status === s).length;
  const running = list.reduce((a, n) => a + (n.load?.guestsRunning ?? 0), 0);
  const slots = list.reduce((a, n) => a + n.capacity.guestSlots, 0);
  const memUsed = list.reduce((a, n) => a + (n.load?.memoryUsedBytes ?? 0), 0);
  const memTotal = list.reduce((a, n) => a + n.capacity.memoryBytes, 0);

  return (
    <section aria-labelledby="overview-h">
      <h1 id="overview-h" tabIndex={-1}>
        Overview
      </h1>
      <dl className="totals" aria-label="Totals">
        <div><dt>Edge nodes</dt><dd>{list.length}</dd></div>
        <div><dt>Ready</dt><dd>{byStatus('READY')}</dd></div>
        <div><dt>Cordoned / draining</dt><dd>{byStatus('CORDONED') + byStatus('DRAINING')}</dd></div>
        <div><dt>Unreachable</dt><dd>{byStatus('UNREACHABLE')}</dd></div>
        <div><dt>Guests running / slots</dt><dd>{running} / {slots}</dd></div>
        <div><dt>NF instances</dt><dd>{inst.length} ({inst.filter((i) => i.state === 'RUNNING').length} running)</dd></div>
        <div><dt>Memory used</dt><dd>{bytes(memUsed)} / {bytes(memTotal)}</dd></div>
      </dl>

      <h2>Edge nodes</h2>
      {!loaded ? <p aria-busy="true">Loading…</p> : null}
      {loaded && list.length === 0 ? <p>No edge node has registered yet. Start an agent (<code>./mayfly up</code> starts one).</p> : null}
      <div className="node-grid">
        {list.map((n) => (
          <NodeCard key={n.id} node={n} points={history[n.id] ?? []} />
        ))}
      </div>

      <h2>Recent operations</h2>
      <RecentOperations ops={operations.slice(0, 10)} />
      <p>
        <a href={href.operations}>All operations</a>
      </p>
    </section>
  );
}

function Meter({ label, value, max, text }: { label: string; value?: number; max?: number; text: string }) {
  const p = pct(value, max);
  return (
    <div className="meter-row">
      <span className="meter-label">{label}</span>
      <progress value={value ?? 0} max={max || 1} aria-label={`${label}: ${text}`} data-pct={p ?? ''} />
      <span className="meter-text">{text}</span>
    </div>
  );
}

function NodeCard({ node: n, points }: { node: EdgeNode; points: { t: number }[] }) {
  const l = n.load ?? {};
  return (
    <article className="node-card" data-node={n.name} aria-labelledby={`node-${n.name}`}>
      <header className="node-head">
        <h3 id={`node-${n.name}`}>
          <a href={href.node(n.name)}>{n.name}</a>
        </h3>
        <StatusBadge value={n.status} label={`${n.name} status`} />
      </header>
      <Meter label="Guests" value={l.guestsRunning} max={n.capacity.guestSlots} text={`${l.guestsRunning ?? '–'} / ${n.capacity.guestSlots} running`} />
      <Meter
        label="Memory"
        value={l.memoryUsedBytes}
        max={n.capacity.memoryBytes}
        text={`${bytes(l.memoryUsedBytes)} / ${bytes(n.capacity.memoryBytes)}`}
      />
      <Meter label="Pool" value={l.poolReady} max={l.poolTarget} text={`${l.poolReady ?? '–'} / ${l.poolTarget ?? '–'} shells ready`} />
      <p className="boot">
        Boot latency p50 <strong>{ms(l.bootP50Ms)}</strong>, p99 <strong>{ms(l.bootP99Ms)}</strong>; load1 {l.load1?.toFixed(2) ?? '–'};{' '}
        {n.instances} NF instance{n.instances === 1 ? '' : 's'}
      </p>
      <Sparkline points={points as never} label={`${n.name} history`} />
    </article>
  );
}

export function RecentOperations({ ops }: { ops: Operation[] }) {
  if (ops.length === 0) return <p>No operations yet.</p>;
  return (
    <div className="overflow-auto">
      <table className="striped">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Type</th>
            <th scope="col">Resource</th>
            <th scope="col">State</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {ops.map((o) => (
            <tr key={o.id}>
              <td>{time(o.startTime)}</td>
              <td>{o.type}</td>
              <td>
                {o.resource.type === 'EDGE_NODE' ? <a href={href.node(o.resource.id)}>{o.resource.id}</a> : <code title={o.resource.id}>{shortId(o.resource.id)}</code>}
              </td>
              <td>
                <StatusBadge value={o.state} />
              </td>
              <td>{ms(totalMs(o))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function totalMs(o: Operation): number | undefined {
  if (o.state === 'RUNNING' || o.state === 'PENDING') return undefined;
  const d = Date.parse(o.stateEnteredTime) - Date.parse(o.startTime);
  return Number.isNaN(d) ? undefined : d;
}
