import type { EdgeNode, NfInstance, Operation } from '../api/types';
import type { StreamEvent, StreamStatus } from './eventStream';

export interface LoadPoint { t: number; load1?: number; bootP50Ms?: number; bootP99Ms?: number; guestsRunning?: number }
export const HISTORY_POINTS = 120;
export const RECENT_OPERATIONS = 200;

export interface LiveState {
  nodes: Record<string, EdgeNode>;
  instances: Record<string, NfInstance>;
  operations: Operation[];
  history: Record<string, LoadPoint[]>;
  status: StreamStatus;
  loaded: boolean;
}

/**
 * Client-side picture of the cluster: lists read over REST, then kept current by the
 * event stream. Node load history (for the per-node charts) is accumulated here from
 * every node snapshot seen, newest last, at most HISTORY_POINTS per node.
 */
export class LiveStore {
  private state: LiveState = { nodes: {}, instances: {}, operations: [], history: {}, status: { kind: 'connecting' }, loaded: false };
  private listeners = new Set<() => void>();

  get = (): LiveState => this.state;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private emit(next: LiveState): void {
    this.state = next;
    this.listeners.forEach((l) => l());
  }

  setStatus(status: StreamStatus): void {
    this.emit({ ...this.state, status });
  }

  replaceAll(nodes: EdgeNode[], instances: NfInstance[], operations: Operation[], now = Date.now()): void {
    const history = { ...this.state.history };
    const nodeMap: Record<string, EdgeNode> = {};
    for (const n of nodes) {
      nodeMap[n.id] = n;
      history[n.id] = appendPoint(history[n.id], n, now);
    }
    const inst: Record<string, NfInstance> = {};
    for (const i of instances) inst[i.id] = i;
    this.emit({ ...this.state, nodes: nodeMap, instances: inst, operations: sortOps(operations), history, loaded: true });
  }

  upsertNode(n: EdgeNode, now = Date.now()): void {
    this.emit({
      ...this.state,
      nodes: { ...this.state.nodes, [n.id]: n },
      history: { ...this.state.history, [n.id]: appendPoint(this.state.history[n.id], n, now) },
    });
  }

  upsertInstance(i: NfInstance): void {
    this.emit({ ...this.state, instances: { ...this.state.instances, [i.id]: i } });
  }

  upsertOperation(o: Operation): void {
    const ops = this.state.operations.filter((x) => x.id !== o.id);
    ops.push(o);
    this.emit({ ...this.state, operations: sortOps(ops).slice(0, RECENT_OPERATIONS) });
  }

  apply(e: StreamEvent, now = Date.now()): void {
    const d = e.data as { id?: string } | undefined;
    switch (e.event) {
      case 'node':
        this.upsertNode(e.data as EdgeNode, now);
        break;
      case 'node-removed': {
        if (!d?.id) return;
        const nodes = { ...this.state.nodes };
        delete nodes[d.id];
        this.emit({ ...this.state, nodes });
        break;
      }
      case 'instance':
        this.upsertInstance(e.data as NfInstance);
        break;
      case 'instance-removed': {
        if (!d?.id) return;
        const instances = { ...this.state.instances };
        delete instances[d.id];
        this.emit({ ...this.state, instances });
        break;
      }
      case 'operation':
        this.upsertOperation(e.data as Operation);
        break;
      default:
        break;
    }
  }
}

function appendPoint(prev: LoadPoint[] | undefined, n: EdgeNode, now: number): LoadPoint[] {
  const p: LoadPoint = {
    t: n.lastSeen ? Date.parse(n.lastSeen) || now : now,
    load1: n.load?.load1,
    bootP50Ms: n.load?.bootP50Ms,
    bootP99Ms: n.load?.bootP99Ms,
    guestsRunning: n.load?.guestsRunning,
  };
  const list = prev ? [...prev] : [];
  const last = list[list.length - 1];
  if (last && last.t === p.t) list[list.length - 1] = p;
  else list.push(p);
  return list.length > HISTORY_POINTS ? list.slice(list.length - HISTORY_POINTS) : list;
}

function sortOps(ops: Operation[]): Operation[] {
  return [...ops].sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime) || a.id.localeCompare(b.id));
}
