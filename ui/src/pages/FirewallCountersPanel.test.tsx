// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credential } from '../api/client';
import { FirewallCountersPanel } from './FirewallCountersPanel';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' } });

function counters(n: number) {
  return {
    subscriberId: '001010000000001', node: 'edge-a', guestId: 'fw-1', readAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
    outbound: { allowed: 10 * n, denied: n }, inbound: { allowed: 5 * n, denied: 2 * n }, flows: n, readMillis: 1.5, handlers: {},
  };
}

describe('live firewall counters', () => {
  it('polls the counters endpoint and shows the figures as they move', async () => {
    credential.set('admin', 'pw');
    let n = 0;
    const fetchMock = vi.fn(async (_url: string) => json(counters(++n)));
    vi.stubGlobal('fetch', fetchMock);
    render(<FirewallCountersPanel subscriberId="001010000000001" intervalMs={30} />);
    await waitFor(() => expect(screen.getByTestId('out-allowed')).toHaveTextContent(/^\d+$/));
    // one reading shown consistently: read k has out 10k/k, in 5k/2k, k flows
    const k = Number(screen.getByTestId('out-allowed').textContent) / 10;
    expect(screen.getByTestId('out-denied')).toHaveTextContent(String(k));
    expect(screen.getByTestId('in-allowed')).toHaveTextContent(String(5 * k));
    expect(screen.getByTestId('in-denied')).toHaveTextContent(String(2 * k));
    expect(screen.getByTestId('flows')).toHaveTextContent(String(k));
    await waitFor(() => expect(Number(screen.getByTestId('out-allowed').textContent)).toBeGreaterThanOrEqual(30));
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/subscribers/001010000000001/firewall/counters');
    expect(screen.getByRole('table', { name: 'Firewall counters' })).toBeInTheDocument();
    expect(screen.getByText(/allowed\/s, .* denied\/s/)).toBeInTheDocument();
    expect(screen.queryByTestId('counters-problem')).toBeNull();
  });

  it('says in words that the node is unreachable on 503, keeps the last figures, and recovers', async () => {
    credential.set('admin', 'pw');
    let call = 0;
    vi.stubGlobal('fetch', vi.fn(async () => {
      call++;
      if (call === 2 || call === 3) {
        return json({
          type: 'https://mayfly.dev/problems/node-unreachable', title: 'Node unreachable', status: 503,
          detail: 'node edge-a is unreachable: the agent of node edge-a is not connected',
          errors: [{ field: 'edgeNode', message: 'edge-a: the agent of node edge-a is not connected' }],
        }, 503);
      }
      return json(counters(call));
    }));
    render(<FirewallCountersPanel subscriberId="001010000000001" intervalMs={40} />);
    await waitFor(() => expect(screen.getByTestId('counters-problem')).toHaveTextContent(/^Node edge-a unreachable: the counters cannot be read now/));
    expect(screen.getByTestId('counters-problem')).toHaveAttribute('data-kind', 'unreachable');
    expect(screen.getByRole('alert')).toBeInTheDocument();
    expect(screen.getByTestId('out-allowed')).toHaveTextContent('10'); // last good read stays visible
    await waitFor(() => expect(screen.queryByTestId('counters-problem')).toBeNull());
    expect(Number(screen.getByTestId('out-allowed').textContent)).toBeGreaterThanOrEqual(40);
  });

  it('explains a subscriber without a running guest', async () => {
    credential.set('admin', 'pw');
    vi.stubGlobal('fetch', vi.fn(async () => json({
      type: 'https://mayfly.dev/problems/not-running', title: 'Conflict', status: 409,
      detail: "the firewall guest fw-1 of subscriber '001010000000001' on node edge-a is PENDING, not RUNNING",
    }, 409)));
    render(<FirewallCountersPanel subscriberId="001010000000001" intervalMs={1000} />);
    await waitFor(() => expect(screen.getByTestId('counters-problem')).toHaveTextContent(/not running yet .*PENDING/));
    expect(screen.queryByRole('table')).toBeNull();
  });
});
