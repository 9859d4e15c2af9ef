import type { StreamStatus } from '../live/eventStream';

/** Says in words whether live updates flow; polite live region so screen readers hear changes. */
export function ConnectionBanner({ status }: { status: StreamStatus }) {
  let text: string;
  let tone: string;
  switch (status.kind) {
    case 'live':
      text = status.reconnected ? 'Live updates reconnected.' : 'Live updates on.';
      tone = 'ok';
      break;
    case 'connecting':
      text = 'Connecting to live updates…';
      tone = 'info';
      break;
    case 'reconnecting':
      text = `Live updates lost (${status.reason}). Reconnecting in ${Math.round(status.retryInMs / 1000)} s (attempt ${status.attempt})…`;
      tone = 'bad';
      break;
    case 'unauthorized':
      text = 'Live updates refused: sign in again.';
      tone = 'bad';
      break;
    default:
      text = 'Live updates stopped.';
      tone = 'info';
  }
  return (
    <p className={`conn conn-${tone}`} role="status" aria-live="polite" data-conn={status.kind}>
      {text}
    </p>
  );
}
