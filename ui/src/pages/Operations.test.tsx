// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../api/types';
import { downtimeMs, OperationItem } from './Operations';

const handover: Operation = {
  id: 'op-7', type: 'HANDOVER', state: 'SUCCEEDED', resource: { type: 'SUBSCRIBER', id: 'imsi-001010000000001' },
  startTime: '2026-11-27T02:00:00Z', stateEnteredTime: '2026-11-27T02:00:00.120Z',
  phases: [
    { name: 'PREPARE_TARGET', state: 'SUCCEEDED', durationMs: 30 },
    { name: 'PAUSE_SOURCE', state: 'SUCCEEDED', durationMs: 2 },
    { name: 'CHECKPOINT', state: 'SUCCEEDED', durationMs: 5 },
    { name: 'downtime', state: 'SUCCEEDED', durationMs: 38.2 },
    { name: 'total', state: 'SUCCEEDED', durationMs: 120 },
  ],
};

describe('operations timeline', () => {
  it('shows a migration with its downtime, its phases, and a link to the subscriber', () => {
    const { container } = render(<ol><OperationItem op={handover} /></ol>);
    expect(screen.getByTestId('op-downtime')).toHaveTextContent('downtime 38 ms');
    expect(screen.getByRole('link', { name: 'imsi-001010000000001' })).toHaveAttribute('href', '#/subscribers/imsi-001010000000001');
    // the summary phases are listed in words but not drawn as bar segments
    expect(container.querySelectorAll('.phase-bar span')).toHaveLength(3);
    expect(screen.getByRole('list', { name: 'Phases' })).toHaveTextContent('downtime succeeded 38 ms');
    expect(downtimeMs(handover)).toBe(38.2);
  });

  it('shows no downtime for operations that have none', () => {
    render(<ol><OperationItem op={{ ...handover, type: 'INSTANTIATE', resource: { type: 'NF_INSTANCE', id: 'abc' }, phases: [{ name: 'boot', state: 'SUCCEEDED', durationMs: 3 }] }} /></ol>);
    expect(screen.queryByTestId('op-downtime')).toBeNull();
  });
});
