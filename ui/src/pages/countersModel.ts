import type { FirewallCounters } from '../api/types';

/** One read of a guest's counters, as kept for the chart. */
export interface CounterSample {
  t: number; guestId: string;
  outAllowed: number; outDenied: number; inAllowed: number; inDenied: number; flows?: number;
}
/** Packets per second between two consecutive reads. */
export interface CounterRate { t: number; allowedPerS: number; deniedPerS: number; flows?: number }

export const MAX_SAMPLES = 60;

export function sampleOf(c: FirewallCounters, t = Date.parse(c.readAt)): CounterSample {
  return {
    t: Number.isNaN(t) ? Date.now() : t, guestId: c.guestId,
    outAllowed: c.outbound.allowed, outDenied: c.outbound.denied,
    inAllowed: c.inbound.allowed, inDenied: c.inbound.denied, flows: c.flows,
  };
}

/** Appends a sample, at most MAX_SAMPLES kept; a new guest (handover, replaced guest) starts over. */
export function addSample(samples: CounterSample[], s: CounterSample): CounterSample[] {
  const last = samples[samples.length - 1];
  if (last && last.guestId !== s.guestId) return [s];
  return [...samples, s].slice(-MAX_SAMPLES);
}

/**
 * Rates between consecutive samples. A counter that went down (the guest restarted) counts
 * from zero again rather than giving a negative rate.
 */
export function rates(samples: CounterSample[]): CounterRate[] {
  const out: CounterRate[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    const d = (x: number, y: number) => (y >= x ? y - x : y);
    out.push({
      t: b.t,
      allowedPerS: round((d(a.outAllowed, b.outAllowed) + d(a.inAllowed, b.inAllowed)) / dt),
      deniedPerS: round((d(a.outDenied, b.outDenied) + d(a.inDenied, b.inDenied)) / dt),
      flows: b.flows,
    });
  }
  return out;
}

const round = (v: number) => Math.round(v * 10) / 10;
