/**
 * Per-agent `rate_limits.per_agent.requests_per_day`, enforced across every process that
 * shares a root: run starts are counted per agent per UTC day in one small JSON file under
 * `<root>/.conductor/`, read-modified-written under an flock so concurrent `run-agent`
 * processes never lose a count.
 */
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, fsError, RetriableError } from '../core/errors.js';
import { lockSync, unlock } from '../core/flock.js';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import { SYSTEM_DIR } from '../core/layout.js';

export const DEFAULT_REQUESTS_PER_DAY = 1000;
const COUNTER_FILE = 'rate-limits.json';
const LOCK_FILE = 'rate-limits.lock';

interface Counters {
  day: string;
  counts: Record<string, number>;
}

function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

function readCounters(path: string, day: string): Counters {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT' && !(error instanceof SyntaxError)) {
      throw fsError('read', path, error);
    }
    return { day, counts: {} };
  }
  const record = raw as Partial<Counters> | null;
  if (record?.day !== day || typeof record.counts !== 'object' || record.counts === null) {
    // A new UTC day starts from zero.
    return { day, counts: {} };
  }
  return { day, counts: { ...record.counts } };
}

/** `1h05m` style text for the time left until the counters reset. */
function formatWait(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m`;
}

export interface RateLimitCheck {
  root: string;
  agent: string;
  /** Allowed run starts per UTC day; 0 or less disables the limit. */
  requestsPerDay: number;
  now?: Date;
}

/**
 * Count one run start for `agent`, or throw a RetriableError (exit 1) saying when the
 * limit resets if the day's budget is used up. Returns the number of starts today.
 */
export function consumeRunQuota(check: RateLimitCheck): number {
  const now = check.now ?? new Date();
  const limit = check.requestsPerDay;
  const dir = join(check.root, SYSTEM_DIR);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw fsError('create', dir, error);
  }
  const lockPath = join(dir, LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(lockPath, 'a', 0o644);
  } catch (error) {
    throw fsError('open', lockPath, error);
  }
  try {
    lockSync(fd, { timeoutMs: 10_000, what: lockPath });
    try {
      const path = join(dir, COUNTER_FILE);
      const counters = readCounters(path, utcDay(now));
      const used = counters.counts[check.agent] ?? 0;
      if (limit > 0 && used >= limit) {
        const reset = new Date(`${counters.day}T00:00:00Z`);
        reset.setUTCDate(reset.getUTCDate() + 1);
        throw new RetriableError(
          'RATE_LIMITED',
          `rate limit reached for agent ${check.agent}: ${used}/${limit} runs today; resets at ${reset.toISOString().replace('.000Z', 'Z')} (in ${formatWait(reset.getTime() - now.getTime())})`,
          { details: { agent: check.agent, limit, resetAt: reset.toISOString() } },
        );
      }
      counters.counts[check.agent] = used + 1;
      writeFileAtomicSync(path, `${JSON.stringify(counters)}\n`, { fsync: false });
      return used + 1;
    } finally {
      unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/** Starts counted today for `agent` (for status displays). */
export function runsToday(root: string, agent: string, now: Date = new Date()): number {
  const counters = readCounters(join(root, SYSTEM_DIR, COUNTER_FILE), utcDay(now));
  return counters.counts[agent] ?? 0;
}
