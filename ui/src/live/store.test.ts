import { describe, expect, it } from 'vitest';
import type { EdgeNode, Operation } from '../api/types';
import { HISTORY_POINTS, LiveStore } from './store';

const node = (status: EdgeNode['status'], lastSeen: string, load1 = 0.5): EdgeNode => ({
  id: 'edge-a', name: 'edge-a', status, cordoned: status !== 'READY', labels: {},
  capacity: { cpus: 2, memoryBytes: 1 << 30, guestSlots: 16 }, instances: 0, lastSeen, load: { load1, bootP50Ms: 3 },
});
const op = (id: string, start: string, state: Operation['state'] = 'RUNNING'): Operation => ({
  id, type: 'INSTANTIATE', state, resource: { type: 'NF_INSTANCE', id: 'i' }, startTime: start, stateEnteredTime: start, phases: [],
});

describe('live store', () => {
  it('applies node, instance and operation events', () => {
    const s = new LiveStore();
    s.replaceAll([node('READY', '2026-01-01T00:00:00Z')], [], [op('a', '2026-01-01T00:00:00Z')]);
    s.apply({ event: 'node', data: node('CORDONED', '2026-01-01T00:00:01Z', 0.7) });
    expect(s.get().nodes['edge-a'].status).toBe('CORDONED');
    expect(s.get().history['edge-a'].map((p) => p.load1)).toEqual([0.5, 0.7]);
    s.apply({ event: 'operation', data: op('b', '2026-01-01T00:00:05Z') });
    s.apply({ event: 'operation', data: op('a', '2026-01-01T00:00:00Z', 'SUCCEEDED') });
    expect(s.get().operations.map((o) => `${o.id}:${o.state}`)).toEqual(['b:RUNNING', 'a:SUCCEEDED']);
    s.apply({ event: 'instance', data: { id: 'i1', nf: 'counter', state: 'RUNNING' } });
    expect(Object.keys(s.get().instances)).toEqual(['i1']);
    s.apply({ event: 'instance-removed', data: { id: 'i1' } });
    expect(s.get().instances).toEqual({});
    s.apply({ event: 'node-removed', data: { id: 'edge-a' } });
    expect(s.get().nodes).toEqual({});
    s.apply({ event: 'unknown', data: {} });
  });

  it('keeps a bounded load history and merges repeated heartbeats', () => {
    const s = new LiveStore();
    for (let i = 0; i < HISTORY_POINTS + 30; i++) s.upsertNode(node('READY', new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), i));
    s.upsertNode(node('READY', new Date(Date.UTC(2026, 0, 1, 0, 0, HISTORY_POINTS + 29)).toISOString(), 999));
    const h = s.get().history['edge-a'];
    expect(h).toHaveLength(HISTORY_POINTS);
    expect(h[h.length - 1].load1).toBe(999);
    expect(h[0].load1).toBe(30);
  });
});
