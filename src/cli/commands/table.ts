/** Plain-text tables and short times for `list`/`status`, laid out like Go's tabwriter (2-space gaps). */

export function formatTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 2)))
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** `2026-11-26 14:57:06` (seconds) or `2026-11-26 14:57` in UTC. */
export function shortTime(iso: string, seconds: boolean): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || iso.startsWith('0001-')) return '-';
  const text = new Date(ms).toISOString().replace('T', ' ');
  return seconds ? text.slice(0, 19) : text.slice(0, 16);
}

/** Go-style duration rounded to the second: `0s`, `2s`, `1m5s`, `2h0m3s`. */
export function shortDuration(ms: number): string {
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
