/** Liveness, readiness, version, status, agents and Prometheus metrics. */
import { defaultAgentName } from '../../runner/agent-select.js';
import { accessSync, constants } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { readDisk } from '../metrics.js';
import { configuredAgents } from '../agents.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/health', () => ({ status: 'ok' }));

  app.get('/healthz', () => ({
    status: 'ok',
    uptime: `${Math.floor((Date.now() - ctx.startedAtMs) / 1000)}s`,
  }));

  app.get('/api/v1/version', () => ({ version: ctx.options.version }));

  // Answered without a key (probes), so only pass/fail per check: no paths, sizes or config.
  // Disk figures are on /metrics (conductor_root_disk_*).
  app.get('/api/v1/ready', async (_request, reply) => {
    let writable = true;
    try {
      accessSync(ctx.root, constants.W_OK);
    } catch {
      writable = false;
    }
    const disk = readDisk(ctx.root);
    const diskOk = disk !== undefined && disk.free >= ctx.config.storage.minFreeBytes;
    const ready = writable && diskOk;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      checks: { root_writable: writable, disk_ok: diskOk },
    });
  });

  app.get('/api/v1/status', () => {
    let active = 0;
    let queued = 0;
    const running: Record<string, unknown>[] = [];
    for (const run of ctx.index.runs.values()) {
      const info = run.info;
      if (info.status === 'queued') queued++;
      if (info.status !== 'running') continue;
      active++;
      running.push({
        project_id: info.project_id,
        task_id: info.task_id,
        run_id: info.run_id,
        agent: info.agent,
        started: info.start_time,
      });
    }
    return {
      active_runs_count: active,
      queued_runs_count: queued,
      uptime_seconds: (Date.now() - ctx.startedAtMs) / 1000,
      configured_agents: configuredAgents(ctx).map((a) => a.name),
      version: ctx.options.version,
      running_tasks: running,
    };
  });

  app.get('/api/v1/agents', () => {
    const agents = configuredAgents(ctx).map((a) => ({
      name: a.name,
      type: a.type,
      ...(a.model !== undefined ? { model: a.model } : {}),
      timeout_s: a.timeoutMs / 1000,
    }));
    return { agents, default: defaultAgentName(ctx.config) };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
