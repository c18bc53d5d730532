/**
 * Everything a route needs, built once per server: root, config, the index, metrics,
 * audit log, authentication, rate limits and the SSE hub.
 */
import type { ResolvedConfig } from '../core/config.js';
import { log, type Logger } from '../core/log.js';
import { createAuditLog, type AuditLog } from './audit.js';
import { createAuthenticator, type ApiKey, type Authenticator } from './auth.js';
import { BusFanout } from './bus-fanout.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { TaskRateLimiter } from './rate-limit.js';
import { RunIndex } from './run-index.js';
import { observeRuns } from './run-observer.js';
import { SseHub } from './sse.js';

export interface ServerOptions {
  root: string;
  config: ResolvedConfig;
  version: string;
  /** Extra API keys (`--api-key`, CONDUCTOR_API_KEY) on top of config's. */
  extraApiKeys?: ApiKey[];
  disableTaskStart?: boolean;
  /** Folder with the built web UI (index.html); a placeholder page when absent. */
  webDir?: string | undefined;
  heartbeatMs?: number;
  maxSseClients?: number;
  /** Poll period of log/bus followers (ms). */
  pollMs?: number;
  /** Period of the index's stat-based safety pass (ms). */
  indexReconcileMs?: number;
  /** Our own URL, passed to agents as JRUN_CONDUCTOR_URL once listening. */
  publicUrl?: string;
}

export interface ServerContext {
  readonly options: ServerOptions;
  readonly root: string;
  readonly config: ResolvedConfig;
  readonly index: RunIndex;
  readonly metrics: ServerMetrics;
  readonly audit: AuditLog;
  readonly auth: Authenticator;
  readonly limiter: TaskRateLimiter;
  readonly sse: SseHub;
  /** One live follower per bus file, shared by all its SSE clients. */
  readonly busFanout: BusFanout;
  readonly startedAtMs: number;
  readonly logger: Logger;
  readonly pollMs: number;
  /** Tasks created by each API user that may still be active (for max_concurrent). */
  readonly tasksByUser: Map<string, Set<string>>;
}

export function createContext(options: ServerOptions): ServerContext {
  const startedAtMs = Date.now();
  const index = new RunIndex({
    root: options.root,
    ...(options.indexReconcileMs !== undefined ? { reconcileMs: options.indexReconcileMs } : {}),
  });
  const counts = (): { active: number; queued: number; completed: number; failed: number } => {
    const c = { active: 0, queued: 0, completed: 0, failed: 0 };
    for (const run of index.runs.values()) {
      const s = run.info.status;
      if (s === 'running') c.active++;
      else if (s === 'queued') c.queued++;
      else if (s === 'completed') c.completed++;
      else if (s === 'failed' || s === 'crashed' || s === 'timeout') c.failed++;
    }
    return c;
  };
  const sseConfig = options.config.api.sse;
  const metrics = createMetrics({ root: options.root, startedAtMs, counts });
  const logger = log().child({ component: 'server' });
  // Subscribed before the first scan, so runs that were active at start are followed too.
  observeRuns(index, metrics, logger);
  return {
    options,
    root: options.root,
    config: options.config,
    index,
    metrics,
    audit: createAuditLog(options.root, options.config.storage.auditMaxBytes),
    auth: createAuthenticator([...options.config.api.apiKeys, ...(options.extraApiKeys ?? [])]),
    limiter: new TaskRateLimiter(options.config.rateLimits),
    sse: new SseHub({
      heartbeatMs: options.heartbeatMs ?? sseConfig.heartbeatMs,
      maxClients: options.maxSseClients ?? 1000,
    }),
    busFanout: new BusFanout(options.pollMs ?? Math.min(sseConfig.pollMs, 250)),
    startedAtMs,
    logger,
    pollMs: options.pollMs ?? Math.min(sseConfig.pollMs, 250),
    tasksByUser: new Map(),
  };
}
