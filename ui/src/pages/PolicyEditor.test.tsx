// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credential } from '../api/client';
import { PolicyEditor } from './PolicyEditor';

afterEach(() => vi.unstubAllGlobals());

const initial = {
  defaultInbound: 'DENY' as const, defaultOutbound: 'ALLOW' as const, stateful: true,
  rules: [
    { action: 'ALLOW' as const, direction: 'OUTBOUND' as const, protocol: 'TCP' as const, portFrom: 443 },
    { action: 'DENY' as const, direction: 'OUTBOUND' as const, protocol: 'UDP' as const, remoteCidr: '8.8.8.8' },
  ],
};

describe('policy editor', () => {
  it('validates a rule as it is typed, next to that rule', async () => {
    const user = userEvent.setup();
    render(<PolicyEditor subscriberId="imsi-001010000000001" initial={initial} onSaved={() => {}} />);
    const cidr = screen.getByLabelText('Rule 2 remote network');
    await user.clear(cidr);
    await user.type(cidr, '8.8.8.888');
    expect(cidr).toHaveAttribute('aria-invalid', 'true');
    expect(cidr).toHaveAccessibleDescription(/0\.\.255/);
    expect(screen.getByLabelText('Rule 1 remote network')).not.toHaveAttribute('aria-invalid');
    await user.clear(cidr);
    await user.type(cidr, '8.8.8.0/24');
    expect(cidr).not.toHaveAttribute('aria-invalid');
  });

  it("shows the API's errors next to the rule and field they name", async () => {
    credential.set('admin', 'pw');
    const fetchMock = vi.fn(async () =>
      new Response(JSON.stringify({
        title: 'Invalid request', status: 422, detail: 'rules[1].remoteCidr: overlaps the UE network',
        errors: [
          { field: 'rules[1].remoteCidr', message: 'overlaps the UE network' },
          { field: 'rules[0]', message: 'shadowed by nothing, but the API may say so' },
          { field: 'policy', message: 'an unclaimed error' },
        ],
      }), { status: 422, headers: { 'Content-Type': 'application/problem+json' } }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    render(<PolicyEditor subscriberId="imsi-001010000000001" initial={initial} onSaved={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(screen.getByLabelText('Rule 2 remote network')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByLabelText('Rule 2 remote network')).toHaveAccessibleDescription('overlaps the UE network');
    expect(screen.getByRole('rowheader', { name: /^1/ })).toHaveTextContent('shadowed by nothing');
    expect(screen.getByTestId('policy-error')).toHaveTextContent('policy: an unclaimed error');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/subscribers/imsi-001010000000001/policy');
    expect(init.method).toBe('PUT');
    expect(JSON.parse(init.body as string).rules[1]).toEqual({ action: 'DENY', direction: 'OUTBOUND', protocol: 'UDP', remoteCidr: '8.8.8.8' });
  });

  it('does not send a policy with local errors, and adds, moves and removes rules', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    render(<PolicyEditor subscriberId="s" initial={initial} onSaved={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Add rule' }));
    await user.type(screen.getByLabelText('Rule 3 port from'), '99999');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(screen.getByTestId('policy-error')).toHaveTextContent('Fix the 1 problem(s)');
    expect(fetchMock).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Move rule 3 up' }));
    expect(screen.getByLabelText('Rule 2 port from')).toHaveValue('99999');
    await user.click(screen.getByRole('button', { name: 'Remove rule 2' }));
    expect(screen.queryByLabelText('Rule 3 port from')).toBeNull();
  });
});
