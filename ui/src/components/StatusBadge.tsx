const TONE: Record<string, string> = {
  READY: 'ok', RUNNING: 'ok', SUCCEEDED: 'ok',
  CORDONED: 'warn', DRAINING: 'warn', PENDING: 'info', BOOTING: 'info', PAUSED: 'warn', TERMINATING: 'warn', ROLLED_BACK: 'warn',
  UNREACHABLE: 'bad', FAILED: 'bad', CRASHED: 'bad', STOPPED: 'bad',
};

/** A state in words with a colour; the word carries the meaning, the colour only helps. */
export function StatusBadge({ value, label }: { value: string; label?: string }) {
  return (
    <span className={`badge badge-${TONE[value] ?? 'info'}`} data-status={value} aria-label={label ? `${label}: ${value}` : undefined}>
      {value}
    </span>
  );
}
