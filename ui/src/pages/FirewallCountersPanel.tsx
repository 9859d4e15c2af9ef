import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { ApiError } from '../api/problem';
import type { FirewallCounters } from '../api/types';
import { CountersChart } from '../components/CountersChart';
import { ms, time } from '../components/format';
import { addSample, rates, sampleOf, type CounterSample } from './countersModel';

/** Why the counters cannot be read, in words. */
export function countersProblem(e: unknown): { kind: 'unreachable' | 'none' | 'not-running' | 'error'; text: string } {
  if (e instanceof ApiError) {
    const detail = e.problem.detail ?? e.message;
    if (e.status === 503) {
      const node = e.problem.errors?.find((x) => x.field === 'edgeNode')?.message.split(':')[0];
      return { kind: 'unreachable', text: `Node ${node ?? ''} unreachable: the counters cannot be read now (${detail}).`.replace('Node  ', 'Node ') };
    }
    if (e.status === 404) return { kind: 'none', text: `No firewall guest runs for this subscriber, so there are no counters (${detail}).` };
    if (e.status === 409) return { kind: 'not-running', text: `The firewall guest is not running yet (${detail}).` };
    if (e.status === 502) return { kind: 'error', text: `The node's agent could not read the counters: ${detail}` };
    return { kind: 'error', text: e.message };
  }
  return { kind: 'error', text: (e as Error).message };
}

/**
 * Live counters of the subscriber's firewall guest: read through the API every `intervalMs`
 * (each read goes to the guest), shown as figures and as packets per second in a chart.
 */
export function FirewallCountersPanel({ subscriberId, intervalMs = 2000 }: { subscriberId: string; intervalMs?: number }) {
  const [last, setLast] = useState<FirewallCounters | null>(null);
  const [samples, setSamples] = useState<CounterSample[]>([]);
  const [problem, setProblem] = useState<ReturnType<typeof countersProblem> | null>(null);

  useEffect(() => {
    let alive = true;
    let inflight: AbortController | null = null;
    const read = async () => {
      if (inflight) return; // the previous read is still waiting for the node
      inflight = new AbortController();
      try {
        const c = await api.counters(subscriberId, inflight.signal);
        if (!alive) return;
        setLast(c);
        setSamples((s) => addSample(s, sampleOf(c)));
        setProblem(null);
      } catch (e) {
        if (alive && (e as Error).name !== 'AbortError') setProblem(countersProblem(e));
      } finally {
        inflight = null;
      }
    };
    void read();
    const t = setInterval(read, intervalMs);
    return () => {
      alive = false;
      clearInterval(t);
      inflight?.abort();
    };
  }, [subscriberId, intervalMs]);

  const r = useMemo(() => rates(samples), [samples]);
  const now = r[r.length - 1];
  return (
    <div className="counters" data-testid="fw-counters">
      {problem ? (
        <p role="alert" className={`notice ${problem.kind === 'unreachable' || problem.kind === 'error' ? 'bad' : 'warn'}`} data-testid="counters-problem" data-kind={problem.kind}>
          {problem.text}
        </p>
      ) : null}
      {last ? (
        <div className="grid two">
          <div>
            <table aria-label="Firewall counters" className={problem ? 'stale' : undefined}>
              <thead>
                <tr><th scope="col">packets</th><th scope="col">allowed</th><th scope="col">denied</th></tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">outbound (from the UE)</th>
                  <td data-testid="out-allowed">{last.outbound.allowed}</td>
                  <td data-testid="out-denied">{last.outbound.denied}</td>
                </tr>
                <tr>
                  <th scope="row">inbound (to the UE)</th>
                  <td data-testid="in-allowed">{last.inbound.allowed}</td>
                  <td data-testid="in-denied">{last.inbound.denied}</td>
                </tr>
              </tbody>
            </table>
            <dl className="facts" aria-label="Flow table">
              <div><dt>Flows</dt><dd data-testid="flows">{last.flows ?? '– (stateless policy)'}</dd></div>
              <div><dt>Now</dt><dd>{now ? `${now.allowedPerS} allowed/s, ${now.deniedPerS} denied/s` : '–'}</dd></div>
              <div><dt>Read at</dt><dd data-testid="read-at">{time(last.readAt)} from {last.node}{last.readMillis !== undefined ? ` (${ms(last.readMillis)})` : ''}</dd></div>
            </dl>
          </div>
          <CountersChart rates={r} />
        </div>
      ) : !problem ? <p aria-busy="true">Reading the counters…</p> : null}
    </div>
  );
}
