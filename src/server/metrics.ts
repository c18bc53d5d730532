/**
 * The server's Prometheus metrics: one registry per server instance (so tests can run
 * several apps in one process), all defined here. Names follow the seed, plus the
 * reference's (compat §9) where they cost nothing.
 */
import { statfsSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  /** Count one HTTP request (hot path: plain counters, flushed into prom-client at scrape). */
  recordHttp(route: string, method: string, status: number, seconds: number): void;
  tasksCreated: Counter;
  tasksCompleted: Counter<'status'>;
  taskDuration: Histogram;
  taskFailures: Counter<'agent' | 'reason'>;
  activeAgents: Gauge;
  queueDepth: Gauge;
  agentRuns: Counter<'agent' | 'status'>;
  agentResponse: Histogram<'agent'>;
  agentTokens: Counter<'agent' | 'kind'>;
  busAppends: Counter;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  apiRequests: Counter<'method' | 'status'>;
  rootDiskFree: Gauge;
  rootDiskTotal: Gauge;
}

export interface MetricsSources {
  root: string;
  startedAtMs: number;
  /** Current counts, read from the in-memory index at scrape time. */
  counts(): { active: number; queued: number; completed: number; failed: number };
}

const PROBES = new Set(['/api/v1/health', '/healthz', '/metrics']);
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics(sources: MetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const diskFree = new Gauge({
    name: 'conductor_root_disk_free_bytes',
    help: 'Free bytes on the filesystem of the runs root',
    registers: [registry],
    collect() {
      const stat = readDisk(sources.root);
      if (stat !== undefined) this.set(stat.free);
    },
  });
  const diskTotal = new Gauge({
    name: 'conductor_root_disk_total_bytes',
    help: 'Size in bytes of the filesystem of the runs root',
    registers: [registry],
    collect() {
      const stat = readDisk(sources.root);
      if (stat !== undefined) this.set(stat.total);
    },
  });
  // Reference names (compat §9), computed from the index at scrape time.
  new Gauge({
    name: 'conductor_uptime_seconds',
    help: 'Seconds since the server started',
    registers: [registry],
    collect() {
      this.set((Date.now() - sources.startedAtMs) / 1000);
    },
  });
  const refGauge = (
    name: string,
    help: string,
    pick: (c: ReturnType<MetricsSources['counts']>) => number,
  ): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(sources.counts()));
      },
    });
  };
  refGauge('conductor_active_runs_total', 'Runs currently running', (c) => c.active);
  refGauge('conductor_queued_runs_total', 'Runs waiting for a slot', (c) => c.queued);
  refGauge('conductor_completed_runs_total', 'Runs that completed', (c) => c.completed);
  refGauge('conductor_failed_runs_total', 'Runs that did not complete', (c) => c.failed);

  // Per-request counting in plain maps; prom-client's label hashing runs only at scrape time.
  const httpCounts = new Map<
    string,
    { route: string; method: string; status: string; n: number }
  >();
  const apiCounts = new Map<string, { method: string; status: string; n: number }>();
  const httpRequests = new Counter({
    name: 'conductor_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    collect() {
      for (const e of httpCounts.values()) {
        if (e.n === 0) continue;
        this.inc({ route: e.route, method: e.method, status: e.status }, e.n);
        e.n = 0;
      }
    },
  });
  const apiRequests = new Counter({
    name: 'conductor_api_requests_total',
    help: 'API requests by method and status (reference name)',
    labelNames: ['method', 'status'],
    registers: [registry],
    collect() {
      for (const e of apiCounts.values()) {
        if (e.n === 0) continue;
        this.inc({ method: e.method, status: e.status }, e.n);
        e.n = 0;
      }
    },
  });
  const httpDuration = new Histogram({
    name: 'conductor_http_request_duration_seconds',
    help: 'HTTP request latency (health/metrics probes not observed)',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const recordHttp = (route: string, method: string, status: number, seconds: number): void => {
    const key = `${route} ${method} ${status}`;
    let entry = httpCounts.get(key);
    if (entry === undefined)
      httpCounts.set(key, (entry = { route, method, status: String(status), n: 0 }));
    entry.n++;
    const apiKey = `${method} ${status}`;
    let api = apiCounts.get(apiKey);
    if (api === undefined) apiCounts.set(apiKey, (api = { method, status: String(status), n: 0 }));
    api.n++;
    if (!PROBES.has(route)) httpDuration.observe({ route, method }, seconds);
  };

  return {
    registry,
    recordHttp,
    tasksCreated: new Counter({
      name: 'conductor_tasks_created_total',
      help: 'Tasks created through the API',
      registers: [registry],
    }),
    tasksCompleted: new Counter({
      name: 'conductor_tasks_completed_total',
      help: 'Task loops that ended, by final status',
      labelNames: ['status'],
      registers: [registry],
    }),
    taskDuration: new Histogram({
      name: 'conductor_task_duration_seconds',
      help: 'Wall time of task loops started by this server',
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    taskFailures: new Counter({
      name: 'conductor_task_failures_total',
      help: 'Failed tasks by agent and reason',
      labelNames: ['agent', 'reason'],
      registers: [registry],
    }),
    activeAgents: new Gauge({
      name: 'conductor_active_agents',
      help: 'Agent runs currently running on this root',
      registers: [registry],
      collect() {
        this.set(sources.counts().active);
      },
    }),
    queueDepth: new Gauge({
      name: 'conductor_queue_depth',
      help: 'Runs waiting for a concurrency slot on this root',
      registers: [registry],
      collect() {
        this.set(sources.counts().queued);
      },
    }),
    agentRuns: new Counter({
      name: 'conductor_agent_runs_total',
      help: 'Finished agent runs seen by this server, by agent and result (success/error/timeout)',
      labelNames: ['agent', 'status'],
      registers: [registry],
    }),
    agentResponse: new Histogram({
      name: 'conductor_agent_response_seconds',
      help: 'Duration of finished agent runs',
      labelNames: ['agent'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    agentTokens: new Counter({
      name: 'conductor_agent_tokens_total',
      help: 'Tokens used by finished runs, by agent and kind (input/output/cached_input)',
      labelNames: ['agent', 'kind'],
      registers: [registry],
    }),
    busAppends: new Counter({
      name: 'conductor_messagebus_appends_total',
      help: 'Messages appended through the API',
      registers: [registry],
    }),
    httpRequests,
    httpDuration,
    apiRequests,
    rootDiskFree: diskFree,
    rootDiskTotal: diskTotal,
  };
}

export interface DiskStat {
  free: number;
  total: number;
}

export function readDisk(path: string): DiskStat | undefined {
  try {
    const s = statfsSync(path);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}
