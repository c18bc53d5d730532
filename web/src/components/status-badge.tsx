// Status shown as colour + symbol + word, so it never depends on colour alone.

const SYMBOLS: Record<string, string> = {
  queued: '◷',
  blocked: '◌',
  running: '●',
  completed: '✓',
  done: '✓',
  failed: '✕',
  timeout: '◔',
  stopped: '■',
  crashed: '⚠',
  idle: '○',
  unknown: '?',
};

export function StatusBadge({
  status,
  compact,
}: {
  status: string | undefined;
  compact?: boolean;
}) {
  const value = status || 'unknown';
  const known = value in SYMBOLS ? value : 'unknown';
  return (
    <span className={`badge badge-${known}${compact ? ' badge-compact' : ''}`} data-status={value}>
      <span aria-hidden="true" className={known === 'running' ? 'badge-dot pulse' : 'badge-dot'}>
        {SYMBOLS[known]}
      </span>
      {value}
    </span>
  );
}
