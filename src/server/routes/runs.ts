/** Run listing and details from the in-memory index; stop through the runner. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { parseRunId } from '../../core/ids.js';
import { isTerminalStatus, runInfoPath } from '../../core/run-info.js';
import { stopRun } from '../../runner/job.js';
import type { ServerContext } from '../context.js';
import type { RunEntry } from '../run-index.js';
import { runSummary } from '../views.js';
import { parseQuery, pageSchema } from './parse.js';

const listQuery = pageSchema.extend({
  project_id: z.string().max(128).optional(),
  task_id: z.string().max(128).optional(),
  status: z.string().max(200).optional(),
  agent: z.string().max(128).optional(),
});

/** Look a run up by id (validated first, so no id can name a path outside the root). */
export function findRun(ctx: ServerContext, runId: string): RunEntry {
  parseRunId(runId);
  const run = ctx.index.runs.get(runId);
  if (run === undefined) throw new NotFoundError(`run not found: ${runId}`);
  return run;
}

export function registerRunRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/runs', (request) => {
    const q = parseQuery(listQuery, request.query);
    const statuses = q.status !== undefined ? new Set(q.status.split(',')) : undefined;
    const matches: RunEntry[] = [];
    let total = 0;
    const end = q.offset + q.limit;
    for (const run of ctx.index.runsNewestFirst()) {
      const info = run.info;
      if (q.project_id !== undefined && info.project_id !== q.project_id) continue;
      if (q.task_id !== undefined && info.task_id !== q.task_id) continue;
      if (statuses !== undefined && !statuses.has(info.status)) continue;
      if (q.agent !== undefined && info.agent !== q.agent && info.agent_name !== q.agent) continue;
      if (total >= q.offset && total < end) matches.push(run);
      total++;
    }
    return {
      runs: matches.map((r) => runSummary(r.info)),
      total,
      limit: q.limit,
      offset: q.offset,
      has_more: end < total,
    };
  });

  app.get<{ Params: { run: string } }>('/api/v1/runs/:run', (request) => {
    const run = findRun(ctx, request.params.run);
    const children: string[] = [];
    for (const other of ctx.index.runs.values()) {
      if (other.info.parent_run_id === run.info.run_id) children.push(other.info.run_id);
    }
    children.sort();
    const { version: _v, ...info } = run.info;
    return { ...info, ...runSummary(run.info), children };
  });

  app.get<{ Params: { run: string } }>('/api/v1/runs/:run/info', async (request, reply) => {
    const run = findRun(ctx, request.params.run);
    let text: string;
    try {
      text = readFileSync(runInfoPath(run.runDir), 'utf8');
    } catch {
      throw new NotFoundError(`run-info.yaml not found for run ${run.info.run_id}`);
    }
    return reply.type('application/x-yaml').send(text);
  });
  app.post<{ Params: { run: string } }>('/api/v1/runs/:run/stop', async (request, reply) => {
    const run = findRun(ctx, request.params.run);
    if (isTerminalStatus(run.info.status)) {
      throw new ConflictError(`run ${run.info.run_id} already ended (${run.info.status})`);
    }
    const [projectId = '', taskId = ''] = run.taskKey.split('/');
    ctx.audit.record({
      action: 'run.stop',
      user: request.user,
      request_id: request.id,
      remote_addr: request.ip,
      project_id: projectId,
      task_id: taskId,
      run_id: run.info.run_id,
      agent: run.info.agent,
    });
    // Answer at once: stopping may take the grace period; the index shows the end.
    void stopRun(run.runDir, { graceMs: ctx.config.defaults.stopGraceMs })
      .catch((error: unknown) =>
        ctx.logger.warn({ err: error, run_id: run.info.run_id }, 'stop failed'),
      )
      .finally(() => ctx.index.refreshRun(run.runDir, projectId, taskId));
    return reply.code(202).send({ status: 'stopping' });
  });
}
