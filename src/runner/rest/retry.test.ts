import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter, RETRY_AFTER_CAP_MS } from './retry.js';

describe('parseRetryAfter', () => {
  it('reads retry-after-ms, seconds and HTTP dates, capped', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(
      parseRetryAfter(new Headers({ 'retry-after': 'Thu, 26 Nov 2026 10:00:03 GMT' }), now),
    ).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '86400' }))).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap, with at most 25% jitter', () => {
    expect(backoffMs(0, 1000, 32_000, () => 0)).toBe(1000);
    expect(backoffMs(3, 1000, 32_000, () => 0)).toBe(8000);
    expect(backoffMs(10, 1000, 32_000, () => 0)).toBe(32_000);
    expect(backoffMs(1, 1000, 32_000, () => 1)).toBe(2500);
  });
});
