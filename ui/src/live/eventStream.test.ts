import { describe, expect, it } from 'vitest';
import { backoffMs, EventStream, type StreamEvent, type StreamStatus } from './eventStream';

function sseResponse(chunks: string[], status = 200): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      chunks.forEach((x) => c.enqueue(enc.encode(x)));
      c.close();
    },
  });
  return new Response(body, { status, headers: { 'Content-Type': 'text/event-stream' } });
}

const flush = () => new Promise((r) => setTimeout(r, 20));

describe('event stream reconnect state', () => {
  it('goes live, reports a drop, reconnects with backoff and says it reconnected', async () => {
    const statuses: StreamStatus[] = [];
    const events: StreamEvent[] = [];
    const scheduled: { fn: () => void; ms: number }[] = [];
    const responses = [
      () => sseResponse(['event: hello\ndata: {"stream":"mayfly-events"}\n\n', 'event: node\nid: 1\ndata: {"id":"edge-a","status":"READY"}\n\n']),
      () => Promise.reject(new TypeError('Failed to fetch')),
      () => sseResponse(['event: hello\ndata: {}\n\n: keep-alive\n\nevent: operation\ndata: {"id":"op1"}\n\n']),
    ];
    const seenHeaders: Record<string, string>[] = [];
    const s = new EventStream({
      url: '/api/v1/events',
      headers: () => ({ Authorization: 'Basic abc' }),
      onEvent: (e) => events.push(e),
      onStatus: (st) => statuses.push(st),
      fetchImpl: (async (_u: string, init: RequestInit) => {
        seenHeaders.push(init.headers as Record<string, string>);
        return responses.shift()!();
      }) as typeof fetch,
      schedule: (fn, ms) => scheduled.push({ fn, ms }),
      cancelSchedule: () => {},
    });
    s.start();
    await flush();
    expect(seenHeaders[0]).toMatchObject({ Authorization: 'Basic abc', Accept: 'text/event-stream' });
    expect(statuses.map((x) => x.kind)).toEqual(['connecting', 'live', 'reconnecting']);
    expect(statuses[1]).toMatchObject({ kind: 'live', reconnected: false });
    expect(statuses[2]).toMatchObject({ kind: 'reconnecting', attempt: 1, retryInMs: 1000, reason: 'connection closed' });
    expect(events).toEqual([{ event: 'node', id: '1', data: { id: 'edge-a', status: 'READY' } }]);

    scheduled.shift()!.fn(); // second try fails at the network level
    await flush();
    expect(statuses[3]).toMatchObject({ kind: 'reconnecting', attempt: 2, retryInMs: 2000, reason: 'Failed to fetch' });

    scheduled.shift()!.fn(); // third try works
    await flush();
    expect(statuses[4]).toMatchObject({ kind: 'live', reconnected: true });
    expect(events[1]).toMatchObject({ event: 'operation', data: { id: 'op1' } });
    s.stop();
    expect(s.status.kind).toBe('stopped');
  });

  it('stops on 401 and reports unauthorized instead of retrying', async () => {
    const statuses: StreamStatus[] = [];
    const scheduled: unknown[] = [];
    const s = new EventStream({
      url: '/x',
      headers: () => ({}),
      onEvent: () => {},
      onStatus: (st) => statuses.push(st),
      fetchImpl: (async () => new Response('{}', { status: 401 })) as typeof fetch,
      schedule: (fn) => scheduled.push(fn),
    });
    s.start();
    await flush();
    expect(statuses.map((x) => x.kind)).toEqual(['connecting', 'unauthorized']);
    expect(scheduled).toHaveLength(0);
  });

  it('retries a server error with the HTTP status as the reason', async () => {
    const statuses: StreamStatus[] = [];
    const s = new EventStream({
      url: '/x',
      headers: () => ({}),
      onEvent: () => {},
      onStatus: (st) => statuses.push(st),
      fetchImpl: (async () => new Response('oops', { status: 503 })) as typeof fetch,
      schedule: () => 0,
    });
    s.start();
    await flush();
    expect(statuses[1]).toMatchObject({ kind: 'reconnecting', reason: 'HTTP 503' });
  });

  it('reconnects a stream that went silent (no keep-alive)', async () => {
    const statuses: StreamStatus[] = [];
    const enc = new TextEncoder();
    const s = new EventStream({
      url: '/x',
      headers: () => ({}),
      onEvent: () => {},
      onStatus: (st) => statuses.push(st),
      // hello, then nothing and no end: a connection lost without FIN/RST
      fetchImpl: (async (_u: string, init: RequestInit) =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(enc.encode('event: hello\ndata: {}\n\n'));
              init.signal?.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
            },
          }),
          { status: 200 },
        )) as typeof fetch,
      schedule: () => 0,
      idleTimeoutMs: 100,
    });
    s.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(statuses.map((x) => x.kind)).toEqual(['connecting', 'live', 'reconnecting']);
    expect(statuses[2]).toMatchObject({ kind: 'reconnecting', attempt: 1, reason: 'no data for 100 ms' });
    s.stop();
  });

  it('backs off exponentially up to 15 s', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });
});
