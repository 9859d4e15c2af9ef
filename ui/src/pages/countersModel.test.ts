import { describe, expect, it } from 'vitest';
import { addSample, MAX_SAMPLES, rates, sampleOf, type CounterSample } from './countersModel';

const s = (t: number, outAllowed: number, outDenied = 0, guestId = 'fw-1', flows?: number): CounterSample =>
  ({ t, guestId, outAllowed, outDenied, inAllowed: outAllowed / 2, inDenied: 0, flows });

describe('counter samples and rates', () => {
  it('turns consecutive reads into packets per second, both directions summed', () => {
    const r = rates([s(0, 100, 4), s(2000, 300, 10, 'fw-1', 3)]);
    expect(r).toEqual([{ t: 2000, allowedPerS: 150, deniedPerS: 3, flows: 3 }]);
  });

  it('counts from zero when a counter went down (guest restarted)', () => {
    expect(rates([s(0, 500), s(1000, 20)])[0].allowedPerS).toBe(30);
  });

  it('starts over for a new guest and keeps at most MAX_SAMPLES', () => {
    let xs: CounterSample[] = [];
    for (let i = 0; i < MAX_SAMPLES + 5; i++) xs = addSample(xs, s(i * 1000, i));
    expect(xs).toHaveLength(MAX_SAMPLES);
    expect(xs[0].outAllowed).toBe(5);
    expect(addSample(xs, s(999_000, 1, 0, 'fw-2'))).toHaveLength(1);
  });

  it('reads a sample from the API model', () => {
    const x = sampleOf({
      subscriberId: '1', node: 'edge-a', guestId: 'fw-9', readAt: '2026-11-27T02:00:00Z',
      outbound: { allowed: 7, denied: 1 }, inbound: { allowed: 5, denied: 2 }, flows: 4, handlers: {},
    });
    expect(x).toEqual({ t: Date.parse('2026-11-27T02:00:00Z'), guestId: 'fw-9', outAllowed: 7, outDenied: 1, inAllowed: 5, inDenied: 2, flows: 4 });
  });
});
