// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { credential } from './api/client';
import { ConnectionBanner } from './components/ConnectionBanner';

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('sign-in', () => {
  it('rejects a wrong password with a message and keeps nothing', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ title: 'Unauthorized', status: 401 }, 401)));
    const user = userEvent.setup();
    render(<App />);
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('User or password is wrong.')).toBeInTheDocument();
    expect(credential.get()).toBeNull();
  });

  it('a 401 from any later call leads back to sign-in with a message', async () => {
    credential.set('admin', 'expired');
    vi.stubGlobal('fetch', vi.fn(async () => json({ title: 'Unauthorized', status: 401 }, 401)));
    render(<App />);
    expect(await screen.findByTestId('signin-message')).toHaveTextContent('Sign in again');
    expect(credential.get()).toBeNull();
  });

  it('signs in and shows the overview with the nodes', async () => {
    const node = {
      id: 'local', name: 'local', status: 'READY', cordoned: false, labels: {}, instances: 0,
      capacity: { cpus: 2, memoryBytes: 2 ** 30, guestSlots: 64 }, load: { guestsRunning: 1, poolReady: 4, poolTarget: 8, bootP50Ms: 2.5 },
    };
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/edge-nodes')) return json({ items: [node], page: 0, size: 500, total: 1 });
      if (url.startsWith('/api/v1/events')) return new Response(new ReadableStream({ start: () => {} }), { status: 200 });
      return json({ items: [], page: 0, size: 500, total: 0 });
    }));
    const user = userEvent.setup();
    render(<App />);
    await user.type(screen.getByLabelText('Password'), 'right');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Overview', level: 1 })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('link', { name: 'local' })).toBeInTheDocument());
    expect(screen.getByLabelText('local status: READY')).toBeInTheDocument();
    expect(screen.getByLabelText('Pool: 4 / 8 shells ready')).toBeInTheDocument();
    expect(credential.get()).toBe(btoa('admin:right'));
  });
});

describe('connection banner', () => {
  it('says when live updates are lost and when they are back', () => {
    const { rerender } = render(<ConnectionBanner status={{ kind: 'reconnecting', attempt: 2, retryInMs: 2000, reason: 'Failed to fetch' }} />);
    expect(screen.getByRole('status')).toHaveTextContent('Live updates lost (Failed to fetch). Reconnecting in 2 s (attempt 2)');
    rerender(<ConnectionBanner status={{ kind: 'live', since: 0, reconnected: true }} />);
    expect(screen.getByRole('status')).toHaveTextContent('Live updates reconnected.');
  });
});
