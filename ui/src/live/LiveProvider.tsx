import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { api, API_BASE, authHeaders, signalUnauthorized } from '../api/client';
import { EventStream } from './eventStream';
import { LiveStore, type LiveState } from './store';

const Ctx = createContext<{ store: LiveStore; refresh: () => Promise<void> } | null>(null);

/** Owns the event stream while signed in; re-reads every list when the stream (re)connects. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const store = useMemo(() => new LiveStore(), []);
  const refresh = useMemo(
    () => async () => {
      try {
        const [n, i, o] = await Promise.all([api.nodes(), api.instances(), api.operations({ size: 200 })]);
        store.replaceAll(n.items, i.items, o.items);
      } catch {
        /* 401 handled by the client; other errors show through the stream status */
      }
    },
    [store],
  );
  useEffect(() => {
    const s = new EventStream({
      url: `${API_BASE}/events`,
      headers: () => authHeaders(),
      onEvent: (e) => store.apply(e),
      onStatus: (st) => {
        store.setStatus(st);
        if (st.kind === 'live') void refresh();
        if (st.kind === 'unauthorized') signalUnauthorized('Your session ended or the credential was rejected. Sign in again.');
      },
    });
    s.start();
    void refresh();
    return () => s.stop();
  }, [store, refresh]);
  return <Ctx.Provider value={{ store, refresh }}>{children}</Ctx.Provider>;
}

export function useLive(): LiveState & { refresh: () => Promise<void>; store: LiveStore } {
  const c = useContext(Ctx);
  if (!c) throw new Error('useLive outside LiveProvider');
  const state = useSyncExternalStore(c.store.subscribe, c.store.get);
  return { ...state, refresh: c.refresh, store: c.store };
}

/** For tests and pages rendered with a prepared store. */
export function LiveContextProvider({ store, children, refresh }: { store: LiveStore; children: ReactNode; refresh?: () => Promise<void> }) {
  return <Ctx.Provider value={{ store, refresh: refresh ?? (async () => {}) }}>{children}</Ctx.Provider>;
}
