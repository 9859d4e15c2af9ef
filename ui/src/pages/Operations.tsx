import { useState } from 'react';
import { OPERATION_STATES, OPERATION_TYPES, type Operation } from '../api/types';
import { ms, shortId, time } from '../components/format';
import { StatusBadge } from '../components/StatusBadge';
import { useLive } from '../live/LiveProvider';
import { href } from '../router';
import { totalMs } from './Overview';

const PHASE_COLORS = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#b91c1c'];

export function filterOperations(ops: Operation[], type: string, state: string, resource: string): Operation[] {
  const r = resource.trim().toLowerCase();
  return ops.filter((o) => (!type || o.type === type) && (!state || o.state === state) && (!r || o.resource.id.toLowerCase().includes(r)));
}

/** Live timeline of operations (newest first) with each phase's time as a bar segment and in words. */
export function OperationsPage() {
  const { operations } = useLive();
  const [type, setType] = useState('');
  const [state, setState] = useState('');
  const [resource, setResource] = useState('');
  const shown = filterOperations(operations, type, state, resource);
  return (
    <section aria-labelledby="ops-h">
      <h1 id="ops-h" tabIndex={-1}>Operations</h1>
      <form className="filters grid" role="search" aria-label="Filter operations" onSubmit={(e) => e.preventDefault()}>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)} name="type">
            <option value="">any</option>
            {OPERATION_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)} name="state">
            <option value="">any</option>
            {OPERATION_STATES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Resource contains
          <input type="search" value={resource} onChange={(e) => setResource(e.target.value)} name="resource" />
        </label>
      </form>
      <p role="status" aria-live="polite" className="muted">
        {shown.length} of {operations.length} recent operations
      </p>
      <ol className="timeline">
        {shown.map((o) => <OperationItem key={o.id} op={o} />)}
      </ol>
    </section>
  );
}

/** Phases that sum up others (a migration's `downtime` and `total`): not drawn as bar segments. */
const SUMMARY_PHASES = new Set(['downtime', 'total']);

/** A migration's downtime (pause to resume), from its `downtime` phase. */
export function downtimeMs(op: Operation): number | undefined {
  return op.phases.find((p) => p.name === 'downtime')?.durationMs;
}

export function OperationItem({ op }: { op: Operation }) {
  const phases = op.phases.filter((p) => typeof p.durationMs === 'number' && !SUMMARY_PHASES.has(p.name));
  const downtime = downtimeMs(op);
  const sum = phases.reduce((a, p) => a + (p.durationMs ?? 0), 0);
  return (
    <li className="op" data-op={op.id} data-state={op.state}>
      <div className="op-head">
        <time dateTime={op.startTime}>{time(op.startTime)}</time>
        <strong>{op.type}</strong>
        <span>
          {op.resource.type === 'EDGE_NODE' ? (
            <a href={href.node(op.resource.id)}>{op.resource.id}</a>
          ) : op.resource.type === 'SUBSCRIBER' ? (
            <a href={href.subscriber(op.resource.id)}>{op.resource.id}</a>
          ) : (
            <code title={op.resource.id}>{shortId(op.resource.id)}</code>
          )}
        </span>
        <StatusBadge value={op.state} />
        <span className="muted">total {ms(totalMs(op))}</span>
        {downtime !== undefined ? <span className="downtime" data-testid="op-downtime">downtime {ms(downtime)}</span> : null}
      </div>
      {phases.length ? (
        <div className="phase-bar" aria-hidden="true">
          {phases.map((p, i) => (
            <span
              key={i}
              style={{ width: `${Math.max(2, (100 * (p.durationMs ?? 0)) / (sum || 1))}%`, background: PHASE_COLORS[i % PHASE_COLORS.length] }}
              title={`${p.name}: ${ms(p.durationMs)}`}
            />
          ))}
        </div>
      ) : null}
      <ul className="phases" aria-label="Phases">
        {op.phases.map((p, i) => (
          <li key={i}>
            <span className="swatch" style={{ background: phases.includes(p) ? PHASE_COLORS[phases.indexOf(p) % PHASE_COLORS.length] : 'transparent' }} />
            {p.name} <span className="muted">{p.state.toLowerCase()}</span> {ms(p.durationMs)}
            {p.detail ? <span className="muted"> — {p.detail}</span> : null}
          </li>
        ))}
      </ul>
      {op.error ? (
        <p className="op-error">
          {op.error.title}
          {op.error.detail ? `: ${op.error.detail}` : ''}
          {op.error.errors?.length ? ` (${op.error.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : ''}
        </p>
      ) : null}
    </li>
  );
}
