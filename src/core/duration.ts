/**
 * Durations as users write them: plain seconds (`300`, `1.5`) or Go syntax (`30s`, `15m`,
 * `1h30m`, `250ms`), the reference's flag format. One parser for flags and config.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go-style duration text (at least one `<number><unit>` and nothing else). */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ns|us|\u00b5s|ms|s|m|h))+$/;

/** Milliseconds for `300`, `1.5`, `30s`, `1h30m`...; undefined when the text is not a duration. */
export function durationToMs(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  }
  return Math.round(total);
}

/** Retention ages: `7d` and `2w` as well as everything durationToMs reads. */
export function ageToMs(value: string | number): number | undefined {
  const days = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(d|w)$/.exec(value.trim()) : null;
  if (days) return Math.round(Number(days[1]) * (days[2] === 'w' ? 7 : 1) * 86_400_000);
  return durationToMs(value);
}
