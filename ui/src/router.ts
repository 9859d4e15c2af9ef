import { useEffect, useState } from 'react';

/** Hash routes (#/nodes/edge-a): the controller serves one index.html, no server-side routes needed. */
export type Route =
  | { page: 'overview' }
  | { page: 'node'; id: string }
  | { page: 'catalog' }
  | { page: 'descriptor'; name: string }
  | { page: 'onboard' }
  | { page: 'operations' }
  | { page: 'subscribers' }
  | { page: 'subscriber'; id: string }
  | { page: 'notfound'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || parts[0] === 'overview') return { page: 'overview' };
  if (parts[0] === 'nodes' && parts[1]) return { page: 'node', id: parts[1] };
  if (parts[0] === 'nodes') return { page: 'overview' };
  if (parts[0] === 'catalog' && parts[1] === 'new') return { page: 'onboard' };
  if (parts[0] === 'catalog' && parts[1]) return { page: 'descriptor', name: parts[1] };
  if (parts[0] === 'catalog') return { page: 'catalog' };
  if (parts[0] === 'operations') return { page: 'operations' };
  if (parts[0] === 'subscribers' && parts[1]) return { page: 'subscriber', id: parts[1] };
  if (parts[0] === 'subscribers') return { page: 'subscribers' };
  return { page: 'notfound', path };
}

export const href = {
  overview: '#/overview',
  node: (id: string) => `#/nodes/${encodeURIComponent(id)}`,
  catalog: '#/catalog',
  descriptor: (name: string) => `#/catalog/${encodeURIComponent(name)}`,
  onboard: '#/catalog/new',
  operations: '#/operations',
  subscribers: '#/subscribers',
  subscriber: (id: string) => `#/subscribers/${encodeURIComponent(id)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
