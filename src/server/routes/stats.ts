/** `/api/v1/stats`: counts by status, per-agent results, tokens, throughput, durations. */
import type { FastifyInstance } from 'fastify';
import { runDurationMs, ZERO_TIME } from '../../core/run-info.js';
import type { ServerContext } from '../context.js';
import { taskStatus } from '../views.js';

const HISTOGRAM_LE_S = [10, 30, 60, 120, 300, 600, 1800, 3600, Infinity];
const THROUGHPUT_MINUTES = 60;

export function registerStatsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/stats', () => {
    const runsByStatus: Record<string, number> = {};
    const tasksByStatus: Record<string, number> = {};
    const agents: Record<string, Record<string, number>> = {};
    const tokens = { input: 0, output: 0, cost_usd: 0 };
    const histogram = HISTOGRAM_LE_S.map(() => 0);
    const now = Date.now();
    const firstMinute = Math.floor(now / 60_000) - THROUGHPUT_MINUTES + 1;
    const throughput = Array.from({ length: THROUGHPUT_MINUTES }, (_, i) => ({
      minute: new Date((firstMinute + i) * 60_000).toISOString(),
      completed: 0,
      failed: 0,
    }));
    let active = 0;
    let queued = 0;
    for (const { info } of ctx.index.runs.values()) {
      runsByStatus[info.status] = (runsByStatus[info.status] ?? 0) + 1;
      if (info.status === 'running') active++;
      if (info.status === 'queued') queued++;
      const name = info.agent_name ?? info.agent;
      const a = (agents[name] ??= {
        completed: 0,
        failed: 0,
        timeout: 0,
        stopped: 0,
        crashed: 0,
        avg_duration_ms: 0,
        finished: 0,
      });
      if (info.status in a) a[info.status] = (a[info.status] ?? 0) + 1;
      tokens.input += info.input_tokens ?? 0;
      tokens.output += info.output_tokens ?? 0;
      tokens.cost_usd += info.cost_usd ?? 0;
      if (info.end_time === ZERO_TIME) continue;
      const duration = runDurationMs(info);
      if (duration !== undefined) {
        a.finished = (a.finished ?? 0) + 1;
        a.avg_duration_ms = (a.avg_duration_ms ?? 0) + duration;
        const bucket = HISTOGRAM_LE_S.findIndex((le) => duration / 1000 <= le);
        histogram[bucket] = (histogram[bucket] ?? 0) + 1;
      }
      const minute = Math.floor(Date.parse(info.end_time) / 60_000) - firstMinute;
      const slot = throughput[minute];
      if (slot !== undefined) {
        if (info.status === 'completed') slot.completed++;
        else slot.failed++;
      }
    }
    for (const a of Object.values(agents)) {
      a.avg_duration_ms = a.finished ? Math.round((a.avg_duration_ms ?? 0) / a.finished) : 0;
      delete a.finished;
    }
    for (const task of ctx.index.tasks.values()) {
      const status = taskStatus(task, ctx.index.latestRun(task));
      tasksByStatus[status] = (tasksByStatus[status] ?? 0) + 1;
    }
    return {
      runs_by_status: runsByStatus,
      tasks_by_status: tasksByStatus,
      agents,
      tokens,
      throughput,
      duration_histogram: HISTOGRAM_LE_S.map((le, i) => ({
        le_seconds: Number.isFinite(le) ? le : '+Inf',
        count: histogram[i] ?? 0,
      })),
      active_runs: active,
      queue_depth: queued,
    };
  });
}
