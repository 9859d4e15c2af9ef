import { ApiError, readProblem } from './problem';
import type { EdgeNode, FirewallCounters, FirewallPolicy, HandoverRequest, NfDescriptor, NfInstance, Operation, Page, Subscriber, SubscriberCreate, SubscriberFirewall } from './types';

const KEY = 'mayfly.credential';
export const API_BASE = '/api/v1';

/** The credential lives in sessionStorage: gone when the tab closes. */
export const credential = {
  get(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set(user: string, password: string): void {
    sessionStorage.setItem(KEY, btoa(unescape(encodeURIComponent(`${user}:${password}`))));
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

type UnauthorizedListener = (message: string) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();
/** Called on any 401: the app drops the credential and shows sign-in with the message. */
export function onUnauthorized(l: UnauthorizedListener): () => void {
  unauthorizedListeners.add(l);
  return () => unauthorizedListeners.delete(l);
}
export function signalUnauthorized(message: string): void {
  credential.clear();
  unauthorizedListeners.forEach((l) => l(message));
}

export function authHeaders(basic = credential.get()): Record<string, string> {
  // X-Requested-With: the controller then omits WWW-Authenticate, so the browser shows no login popup
  const h: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest' };
  if (basic) h.Authorization = `Basic ${basic}`;
  return h;
}

export interface RequestOptions { method?: string; body?: unknown; contentType?: string; signal?: AbortSignal; basic?: string }

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(opts.basic ?? credential.get()), Accept: 'application/json, application/problem+json' };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'The controller is not reachable', detail: (e as Error).message });
  }
  if (res.status === 401) {
    const p = await readProblem(res);
    const err = new ApiError(401, p);
    if (!opts.basic) signalUnauthorized('Your session ended or the credential was rejected. Sign in again.');
    throw err;
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res));
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

export const api = {
  /** Checks a credential without storing it. */
  verify: (basic: string) => request<Page<EdgeNode>>(`/edge-nodes${q({ size: 1 })}`, { basic }),
  nodes: () => request<Page<EdgeNode>>(`/edge-nodes${q({ size: 500 })}`),
  node: (id: string) => request<EdgeNode>(`/edge-nodes/${encodeURIComponent(id)}`),
  cordon: (id: string) => request<EdgeNode>(`/edge-nodes/${encodeURIComponent(id)}/cordon`, { method: 'POST' }),
  uncordon: (id: string) => request<EdgeNode>(`/edge-nodes/${encodeURIComponent(id)}/uncordon`, { method: 'POST' }),
  drain: (id: string) => request<Operation>(`/edge-nodes/${encodeURIComponent(id)}/drain`, { method: 'POST' }),
  instances: (filter: { node?: string; nf?: string; state?: string } = {}) =>
    request<Page<NfInstance>>(`/nf-instances${q({ size: 500, ...filter })}`),
  descriptors: () => request<Page<NfDescriptor>>(`/network-functions${q({ size: 500 })}`),
  descriptor: (name: string) => request<NfDescriptor>(`/network-functions/${encodeURIComponent(name)}`),
  onboard: (d: NfDescriptor | string, contentType = 'application/json') =>
    request<NfDescriptor>('/network-functions', { method: 'POST', body: d, contentType }),
  deleteDescriptor: (name: string) => request<void>(`/network-functions/${encodeURIComponent(name)}`, { method: 'DELETE' }),
  operations: (filter: { state?: string; resourceId?: string; size?: number } = {}) =>
    request<Page<Operation>>(`/operations${q({ size: filter.size ?? 100, state: filter.state, resourceId: filter.resourceId })}`),
  subscribers: (filter: { ueIp?: string; idPrefix?: string; node?: string } = {}) =>
    request<Page<Subscriber>>(`/subscribers${q({ size: 100, ...filter })}`),
  subscriber: (id: string) => request<Subscriber>(`/subscribers/${encodeURIComponent(id)}`),
  createSubscriber: (s: SubscriberCreate) => request<Subscriber>('/subscribers', { method: 'POST', body: s }),
  policy: (id: string) => request<SubscriberFirewall>(`/subscribers/${encodeURIComponent(id)}/policy`),
  putPolicy: (id: string, p: FirewallPolicy) =>
    request<SubscriberFirewall>(`/subscribers/${encodeURIComponent(id)}/policy`, { method: 'PUT', body: p }),
  counters: (id: string, signal?: AbortSignal) =>
    request<FirewallCounters>(`/subscribers/${encodeURIComponent(id)}/firewall/counters`, { signal }),
  handover: (id: string, body: HandoverRequest) =>
    request<Operation>(`/subscribers/${encodeURIComponent(id)}/handover`, { method: 'POST', body }),
  operation: (id: string) => request<Operation>(`/operations/${encodeURIComponent(id)}`),
};
