// Display helpers: durations, times, counts.

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 1) return `${Math.round(ms)}ms`;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const ZERO_TIME = /^0001-01-01/;

export function parseTime(value: string | undefined): number | undefined {
  if (!value || ZERO_TIME.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/** Run duration: ticking (now - start) while running, else recorded, else end - start. */
export function runDurationMs(
  run: { duration_ms?: number | null; start_time?: string; end_time?: string; status: string },
  now: number,
): number | undefined {
  const start = parseTime(run.start_time);
  // A running run's duration_ms is a snapshot from when the server answered.
  if (run.status === 'running' && start !== undefined) return Math.max(0, now - start);
  if (run.duration_ms != null && run.duration_ms > 0) return run.duration_ms;
  const end = parseTime(run.end_time);
  return start !== undefined && end !== undefined ? end - start : undefined;
}

export function formatTime(value: string | undefined): string {
  const t = parseTime(value);
  if (t === undefined) return '–';
  return new Date(t).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function formatRelative(value: string | undefined, now: number): string {
  const t = parseTime(value);
  if (t === undefined) return '–';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatNumber(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
