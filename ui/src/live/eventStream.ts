import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * The connection to GET /api/v1/events. EventSource cannot send an Authorization
 * header, so this reads the stream with fetch and parses it with eventsource-parser.
 * On a drop, or when nothing arrived for `idleTimeoutMs`, it reconnects with backoff
 * (1 s, 2 s, 4 s … capped at 15 s) and reports
 * each state change, so the UI can say "reconnecting" and refetch lists when live again.
 */
export type StreamStatus =
  | { kind: 'connecting' }
  | { kind: 'live'; since: number; reconnected: boolean }
  | { kind: 'reconnecting'; attempt: number; retryInMs: number; reason: string }
  | { kind: 'unauthorized' }
  | { kind: 'stopped' };

export interface StreamEvent { event: string; data: unknown; id?: string }

export interface EventStreamOptions {
  url: string;
  headers: () => Record<string, string>;
  onEvent: (e: StreamEvent) => void;
  onStatus: (s: StreamStatus) => void;
  fetchImpl?: typeof fetch;
  /** setTimeout replacement for tests */
  schedule?: (fn: () => void, ms: number) => unknown;
  cancelSchedule?: (handle: unknown) => void;
  /**
   * Reconnect when nothing (not even the server's 15 s keep-alive comment) arrived for
   * this long: a connection lost without a FIN or RST never ends by itself. Default 45 s.
   */
  idleTimeoutMs?: number;
}

export function backoffMs(attempt: number): number {
  return Math.min(15000, 1000 * 2 ** Math.max(0, attempt - 1));
}

export class EventStream {
  private readonly o: EventStreamOptions;
  private abort: AbortController | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private everLive = false;
  private stopped = false;
  status: StreamStatus = { kind: 'connecting' };

  constructor(o: EventStreamOptions) {
    this.o = o;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    if (this.timer !== null) (this.o.cancelSchedule ?? clearTimeout)(this.timer as number);
    this.timer = null;
    this.set({ kind: 'stopped' });
  }

  private set(s: StreamStatus): void {
    this.status = s;
    this.o.onStatus(s);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (!this.everLive && this.attempt === 0) this.set({ kind: 'connecting' });
    const abort = new AbortController();
    this.abort = abort;
    const f = this.o.fetchImpl ?? fetch.bind(globalThis);
    let reason = 'connection closed';
    const idleMs = this.o.idleTimeoutMs ?? 45000;
    let last = Date.now();
    let idle = false;
    const watchdog = setInterval(() => {
      if (Date.now() - last > idleMs) {
        idle = true;
        abort.abort();
      }
    }, Math.min(5000, Math.max(10, idleMs / 4)));
    try {
      const res = await f(this.o.url, {
        headers: { ...this.o.headers(), Accept: 'text/event-stream' },
        signal: abort.signal,
        cache: 'no-store',
      });
      if (res.status === 401) {
        this.set({ kind: 'unauthorized' });
        return;
      }
      if (!res.ok || !res.body) {
        reason = `HTTP ${res.status}`;
      } else {
        const parser = createParser({
          onEvent: (m: EventSourceMessage) => this.dispatch(m),
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          last = Date.now();
          parser.feed(value);
        }
      }
    } catch (e) {
      if (this.stopped || (abort.signal.aborted && !idle)) return;
      reason = idle ? `no data for ${idleMs >= 1000 ? `${Math.round(idleMs / 1000)} s` : `${idleMs} ms`}` : (e as Error).message || 'network error';
    } finally {
      clearInterval(watchdog);
    }
    if (this.stopped) return;
    this.attempt += 1;
    const retryInMs = backoffMs(this.attempt);
    this.set({ kind: 'reconnecting', attempt: this.attempt, retryInMs, reason });
    this.timer = (this.o.schedule ?? setTimeout)(() => {
      this.timer = null;
      void this.connect();
    }, retryInMs);
  }

  private dispatch(m: EventSourceMessage): void {
    const name = m.event ?? 'message';
    if (name === 'hello') {
      const reconnected = this.everLive;
      this.everLive = true;
      this.attempt = 0;
      this.set({ kind: 'live', since: Date.now(), reconnected });
      return;
    }
    let data: unknown = m.data;
    try {
      data = JSON.parse(m.data);
    } catch {
      /* keep text */
    }
    this.o.onEvent({ event: name, data, id: m.id });
  }
}
