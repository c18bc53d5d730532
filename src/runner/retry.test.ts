import { describe, expect, it } from 'vitest';
import {
  canRetry,
  DEFAULT_RETRY_POLICY,
  nextStep,
  retryDelayMs,
  sleepUnlessAborted,
} from './retry.js';

describe('nextStep', () => {
  it('follows the seed exit-code contract', () => {
    expect(nextStep(0, false)).toBe('restart');
    expect(nextStep(1, false)).toBe('retry');
    expect(nextStep(2, false)).toBe('permanent');
    expect(nextStep(3, false)).toBe('config');
  });

  it('finishes whenever DONE exists, whatever the exit', () => {
    for (const outcome of [0, 1, 2, 3] as const) expect(nextStep(outcome, true)).toBe('done');
  });
});

describe('retry policy', () => {
  it('backs off 2 s, 4 s, 8 s and allows 3 retries by default', () => {
    const delays = [1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n));
    expect(delays).toEqual([2000, 4000, 8000]);
    expect(canRetry(DEFAULT_RETRY_POLICY, 2)).toBe(true);
    expect(canRetry(DEFAULT_RETRY_POLICY, 3)).toBe(false);
  });

  it('honours a custom base and cap', () => {
    const policy = { maxRetries: 10, baseDelayMs: 100, maxDelayMs: 500 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n))).toEqual([100, 200, 400, 500, 500]);
    expect(canRetry({ maxRetries: 0, baseDelayMs: 1 }, 0)).toBe(false);
  });
});

describe('sleepUnlessAborted', () => {
  it('resolves true after the delay and false when aborted', async () => {
    await expect(sleepUnlessAborted(5)).resolves.toBe(true);
    const controller = new AbortController();
    const pending = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await expect(pending).resolves.toBe(false);
    await expect(sleepUnlessAborted(10, controller.signal)).resolves.toBe(false);
  });
});
