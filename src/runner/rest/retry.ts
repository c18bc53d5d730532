/** Backoff for REST retries: the server's Retry-After wins; else base·2^n capped, plus jitter. */

export const RETRY_AFTER_CAP_MS = 60_000;

/** `retry-after-ms` (OpenAI style) or `Retry-After` seconds / HTTP date; undefined if absent. */
export function parseRetryAfter(headers: Headers, nowMs = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim()))
    return Math.min(Number(ms), RETRY_AFTER_CAP_MS);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_CAP_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), RETRY_AFTER_CAP_MS);
}

/** Delay before retry number `retry` (0-based): base·2^retry ≤ cap, plus up to 25% jitter. */
export function backoffMs(
  retry: number,
  baseMs: number,
  capMs: number,
  random = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** retry);
  return Math.round(exp + exp * 0.25 * random());
}
