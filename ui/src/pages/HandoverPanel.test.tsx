// @vitest-environment jsdom
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credential } from '../api/client';
import type { EdgeNode } from '../api/types';
import { HandoverPanel } from './HandoverPanel';

afterEach(() => vi.unstubAllGlobals());

const node = (name: string, status: EdgeNode['status']): EdgeNode => ({
  id: name, name, status, cordoned: status === 'CORDONED', labels: {}, capacity: { cpus: 2, memoryBytes: 1 << 30, guestSlots: 16 }, instances: 0,
});
const NODES = [node('edge-a', 'READY'), node('edge-b', 'READY'), node('edge-c', 'CORDONED'), node('edge-d', 'UNREACHABLE')];
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' } });

const phases = [
  { name: 'PREPARE_TARGET', state: 'SUCCEEDED', durationMs: 12 },
  { name: 'PAUSE_SOURCE', state: 'SUCCEEDED', durationMs: 1.2 },
  { name: 'TRANSFER', state: 'SUCCEEDED', durationMs: 8 },
  { name: 'downtime', state: 'SUCCEEDED', durationMs: 26.4 },
  { name: 'total', state: 'SUCCEEDED', durationMs: 95 },
];
const op = (state: string) => ({
  id: 'op-1', type: 'HANDOVER', state, resource: { type: 'SUBSCRIBER', id: '001010000000001' },
  startTime: '2026-11-27T02:00:00Z', stateEnteredTime: '2026-11-27T02:00:00.095Z', phases: state === 'RUNNING' ? phases.slice(0, 1) : phases,
});

function renderPanel() {
  return render(<HandoverPanel subscriberId="001010000000001" currentNode="edge-a" attachment="ue1" nodes={NODES} pollMs={10} />);
}

describe('handover action', () => {
  it('offers only the other READY nodes', () => {
    renderPanel();
    const options = within(screen.getByLabelText('Target edge node')).getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['choose…', 'edge-b']);
  });

  it('asks first, posts the handover and follows the operation to SUCCEEDED with phases and downtime', async () => {
    credential.set('admin', 'pw');
    const fetchMock = vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'POST' ? json(op('RUNNING'), 202) : json(op('SUCCEEDED')));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderPanel();
    await user.selectOptions(screen.getByLabelText('Target edge node'), 'edge-b');
    await user.click(screen.getByRole('button', { name: 'Hand over…' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog).toHaveTextContent('moves live from edge-a to edge-b');
    expect(fetchMock).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Hand over' }));
    await waitFor(() => expect(screen.getByTestId('handover-result')).toHaveAttribute('data-state', 'SUCCEEDED'));
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/v1/subscribers/001010000000001/handover');
    expect(JSON.parse(String(init?.body))).toEqual({ targetNode: 'edge-b', attachment: 'ue1' });
    expect(fetchMock.mock.calls[1][0]).toBe('/api/v1/operations/op-1');
    expect(screen.getByText('Handover to edge-b succeeded.')).toBeInTheDocument();
    expect(screen.getByTestId('op-downtime')).toHaveTextContent('downtime 26 ms');
    const phaseList = screen.getByRole('list', { name: 'Phases' });
    expect(phaseList).toHaveTextContent('PREPARE_TARGET');
    expect(phaseList).toHaveTextContent('12 ms');
    expect(phaseList).toHaveTextContent('TRANSFER');
  });

  it('Escape in the confirmation changes nothing', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderPanel();
    await user.selectOptions(screen.getByLabelText('Target edge node'), 'edge-b');
    await user.click(screen.getByRole('button', { name: 'Hand over…' }));
    await screen.findByRole('alertdialog');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('checks the fields as you type and shows the API errors next to the field they name', async () => {
    credential.set('admin', 'pw');
    vi.stubGlobal('fetch', vi.fn(async () => json({
      type: 'https://mayfly.dev/problems/validation', title: 'Invalid request', status: 422,
      detail: 'attachment: no interface ue9 on edge-b',
      errors: [{ field: 'attachment', message: 'no interface ue9 on edge-b' }],
    }, 422)));
    const user = userEvent.setup();
    renderPanel();
    await user.click(screen.getByRole('button', { name: 'Hand over…' }));
    expect(screen.getByLabelText('Target edge node')).toHaveAccessibleDescription('choose the node now serving the UE');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    const att = screen.getByLabelText('Attachment interface on the target');
    await user.clear(att);
    await user.type(att, 'way-too-long-interface-name');
    expect(att).toHaveAttribute('aria-invalid', 'true');
    await user.clear(att);
    await user.type(att, 'ue9');
    await user.selectOptions(screen.getByLabelText('Target edge node'), 'edge-b');
    await user.click(screen.getByRole('button', { name: 'Hand over…' }));
    await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Hand over' }));
    await waitFor(() => expect(att).toHaveAttribute('aria-invalid', 'true'));
    expect(att).toHaveAccessibleDescription('no interface ue9 on edge-b');
    expect(screen.queryByTestId('handover-error')).toBeNull();
  });

  it('says why a refused handover failed when no field is named', async () => {
    credential.set('admin', 'pw');
    vi.stubGlobal('fetch', vi.fn(async () => json({
      type: 'https://mayfly.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'a handover of 001010000000001 is running',
    }, 409)));
    const user = userEvent.setup();
    renderPanel();
    await user.selectOptions(screen.getByLabelText('Target edge node'), 'edge-b');
    await user.click(screen.getByRole('button', { name: 'Hand over…' }));
    await user.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Hand over' }));
    expect(await screen.findByTestId('handover-error')).toHaveTextContent('Handover refused: Conflict: a handover of 001010000000001 is running');
  });
});
