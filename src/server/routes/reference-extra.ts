/**
 * More of the reference's routes (compat.md §9): create a project with its home folder,
 * stream a task's run statuses, delete a finished run.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConflictError, fsError, NotFoundError } from '../../core/errors.js';
import { parseProjectId, parseRunId } from '../../core/ids.js';
import { FILES, projectDir } from '../../core/layout.js';
import { writeFileAtomicSync } from '../../core/fs-atomic.js';
import { isTerminalStatus, type RunInfo } from '../../core/run-info.js';
import type { ServerContext } from '../context.js';
import { getTask } from '../task-service.js';
import { refuseFromWebUi } from './tasks.js';
import { parseBody } from './parse.js';

const createProject = z.object({
  project_id: z.string().min(1).max(200),
  project_root: z.string().max(4096).optional(),
});

function statusFrame(info: RunInfo): Record<string, unknown> {
  return {
    run_id: info.run_id,
    project_id: info.project_id,
    task_id: info.task_id,
    status: info.status,
    exit_code: info.exit_code,
  };
}

export function registerReferenceExtraRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/projects', (request, reply) => {
    const body = parseBody(createProject, request.body);
    const projectId = parseProjectId(body.project_id);
    if (ctx.index.projects.has(projectId))
      throw new ConflictError(`project ${projectId} already exists`);
    const dir = projectDir(ctx.root, projectId);
    try {
      mkdirSync(dir, { recursive: true });
      if (body.project_root !== undefined && body.project_root !== '') {
        writeFileAtomicSync(join(dir, FILES.projectRoot), `${body.project_root}\n`);
      }
    } catch (error) {
      throw fsError('create', dir, error);
    }
    ctx.index.reconcile();
    return reply
      .code(201)
      .send({ id: projectId, project_root: body.project_root ?? '', task_count: 0 });
  });

  app.get<{ Params: { p: string; t: string } }>(
    '/api/projects/:p/tasks/:t/runs/stream',
    (request, reply) => {
      const task = getTask(ctx, request.params.p, request.params.t);
      const key = `${task.projectId}/${task.taskId}`;
      const stream = ctx.sse.open(request, reply);
      const off = ctx.index.onEvent((event) => {
        if (event.kind === 'run' && event.run.taskKey === key)
          stream.send('status', statusFrame(event.run.info));
      });
      void stream.closed.then(off);
      for (const run of ctx.index.runsOfTask(task)) stream.send('status', statusFrame(run.info));
    },
  );

  app.delete<{ Params: { p: string; t: string; r: string } }>(
    '/api/projects/:p/tasks/:t/runs/:r',
    (request, reply) => {
      refuseFromWebUi(request);
      const task = getTask(ctx, request.params.p, request.params.t);
      const runId = parseRunId(request.params.r);
      const run = ctx.index.runs.get(runId);
      if (run === undefined || run.taskKey !== `${task.projectId}/${task.taskId}`) {
        throw new NotFoundError('run not found');
      }
      if (!isTerminalStatus(run.info.status))
        throw new ConflictError(`run ${runId} is ${run.info.status}; stop it first`);
      try {
        rmSync(run.runDir, { recursive: true, force: true });
      } catch (error) {
        throw fsError('delete', run.runDir, error);
      }
      ctx.index.refreshTask(task.projectId, task.taskId);
      return reply.code(204).send();
    },
  );
}
