/**
 * What the task loop does after a run: the seed's exit-code contract turned into a decision,
 * and its backoff (3 retries, 2^n s: 2, 4, 8) as a policy.
 */

export type Outcome = 0 | 1 | 2 | 3;

export type NextStep =
  /** DONE exists: finish the task. */
  | 'done'
  /** Exit 0 without DONE: the Ralph loop starts the agent again. */
  | 'restart'
  /** Retriable failure (exit 1, timeout, crash): try again after a backoff. */
  | 'retry'
  /** Permanent failure (exit 2): stop, never retried. */
  | 'permanent'
  /** Configuration error (exit 3): stop, never retried. */
  | 'config';

export function nextStep(outcome: Outcome, done: boolean): NextStep {
  if (done) return 'done';
  switch (outcome) {
    case 0:
      return 'restart';
    case 1:
      return 'retry';
    case 2:
      return 'permanent';
    case 3:
      return 'config';
  }
}

export interface RetryPolicy {
  /** Retries after the first failure (seed: 3). */
  maxRetries: number;
  /** Delay before retry #1; doubled for each further retry (seed: 2000 ms). */
  baseDelayMs: number;
  /** Upper bound for one delay. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 2000,
  maxDelayMs: 300_000,
};

/** Delay before retry number `retry` (1-based): base * 2^(retry-1), i.e. 2 s, 4 s, 8 s. */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const exponent = Math.max(0, retry - 1);
  const delay = policy.baseDelayMs * 2 ** exponent;
  return Math.min(delay, policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
}

/** True while another retry is allowed after `retriesSoFar` retries. */
export function canRetry(policy: RetryPolicy, retriesSoFar: number): boolean {
  return retriesSoFar < policy.maxRetries;
}

/**
 * Sleep that an AbortSignal can cut short. Resolves true when the full time passed,
 * false when aborted (callers then stop instead of starting another run).
 */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
