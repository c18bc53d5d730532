/**
 * Rate limits for task creation through the API (config `rate_limits`): per API user a
 * sliding one-hour window of creations and a cap on tasks still active, per agent a
 * sliding 24-hour window. Over a limit -> 429 with Retry-After (seconds until a slot frees).
 * Runs started by any process are separately capped per agent and day by the runner.
 */
import { HttpError } from './http-errors.js';

export interface RateLimitConfig {
  perUser: { requestsPerHour: number; maxConcurrent: number };
  perAgent: { requestsPerDay: number };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export class TaskRateLimiter {
  private readonly userWindows = new Map<string, number[]>();
  private readonly agentWindows = new Map<string, number[]>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Check and, when allowed, count one task creation. `activeTasks` = tasks this user
   * started that are still queued/blocked/running. Per-user limits need users: without
   * API keys (a local, single-user server) only the per-agent limit applies.
   */
  consume(user: string | undefined, agent: string, activeTasks: number): void {
    const now = this.now();
    const userHits = user !== undefined ? prune(this.userWindows, user, now - HOUR_MS) : [];
    const agentHits = prune(this.agentWindows, agent, now - DAY_MS);
    const { requestsPerHour, maxConcurrent } = this.config.perUser;
    if (requestsPerHour > 0 && userHits.length >= requestsPerHour) {
      throw limited(
        `rate limit: user ${user} may create ${requestsPerHour} tasks per hour`,
        userHits[0]! + HOUR_MS - now,
      );
    }
    if (user !== undefined && maxConcurrent > 0 && activeTasks >= maxConcurrent) {
      throw limited(
        `rate limit: user ${user} already has ${activeTasks} active tasks (max ${maxConcurrent})`,
        5_000,
      );
    }
    const perDay = this.config.perAgent.requestsPerDay;
    if (perDay > 0 && agentHits.length >= perDay) {
      throw limited(
        `rate limit: agent ${agent} may take ${perDay} tasks per day`,
        agentHits[0]! + DAY_MS - now,
      );
    }
    userHits.push(now);
    agentHits.push(now);
  }
}

function prune(windows: Map<string, number[]>, key: string, after: number): number[] {
  let hits = windows.get(key);
  if (hits === undefined) {
    hits = [];
    windows.set(key, hits);
  }
  let drop = 0;
  while (drop < hits.length && hits[drop]! <= after) drop++;
  if (drop > 0) hits.splice(0, drop);
  return hits;
}

function limited(message: string, retryAfterMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpError(429, 'RATE_LIMITED', message, { 'retry-after': String(seconds) });
}
