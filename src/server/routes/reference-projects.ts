/**
 * The reference's project-level routes (compat.md §9): the known home folders, deleting a
 * whole project, and gc of its finished runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ageToMs } from '../../core/duration.js';
import { ValidationError } from '../../core/errors.js';
import { parseProjectId } from '../../core/ids.js';
import { runGc } from '../../ops/gc.js';
import type { AuditAction } from '../audit.js';
import type { ServerContext } from '../context.js';
import { deleteProject } from '../task-service.js';
import { parseBody, parseQuery } from './parse.js';
import { projectRoot } from './reference.js';
import { refuseFromWebUi } from './tasks.js';

/** `?force=true` style flags; a bare `?force` counts as true. */
const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === '');

const deleteQuery = z.object({ force: flag });

const gcInput = z.object({
  older_than: z.union([z.string().max(50), z.number().nonnegative()]).optional(),
  dry_run: z.union([z.boolean(), flag]).optional(),
  keep_failed: z.union([z.boolean(), flag]).optional(),
});

/** The reference's gc default: finished more than a week ago. */
const DEFAULT_GC_AGE = '168h';

/** Retention age: `7d`/`2w` as well as seconds and Go durations (`36h`). */
function ageMs(value: string | number): number {
  const ms = ageToMs(value);
  if (ms === undefined) {
    throw new ValidationError(
      `invalid older_than ${JSON.stringify(value)}: use a duration like 7d, 36h or 90m`,
    );
  }
  return ms;
}

function audit(
  ctx: ServerContext,
  request: FastifyRequest,
  action: AuditAction,
  projectId: string,
  reason?: string,
): void {
  ctx.audit.record({
    action,
    user: request.user,
    request_id: request.id,
    remote_addr: request.ip,
    project_id: projectId,
    reason,
  });
}

export function registerReferenceProjectRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Home folders of known projects (PROJECT-ROOT.txt, written by POST /api/projects).
  app.get('/api/projects/home-dirs', () => {
    const dirs = new Set<string>();
    for (const id of ctx.index.projects.keys()) {
      const dir = projectRoot(ctx, id);
      if (dir !== '') dirs.add(dir);
    }
    return { dirs: [...dirs].sort() };
  });

  app.delete<{ Params: { p: string } }>('/api/projects/:p', async (request) => {
    refuseFromWebUi(request);
    const { force } = parseQuery(deleteQuery, request.query);
    const projectId = request.params.p;
    const result = await deleteProject(ctx, projectId, force);
    audit(ctx, request, 'project.delete', projectId, force ? 'force' : undefined);
    return {
      project_id: projectId,
      deleted_tasks: result.deletedTasks,
      stopped_runs: result.stoppedRuns,
    };
  });

  // Options in the JSON body or the query string (the body wins).
  app.post<{ Params: { p: string } }>('/api/projects/:p/gc', (request) => {
    refuseFromWebUi(request);
    const projectId = parseProjectId(request.params.p);
    const query = parseQuery(gcInput, request.query);
    const body = request.body === undefined ? {} : parseBody(gcInput, request.body);
    const olderThan = body.older_than ?? query.older_than ?? DEFAULT_GC_AGE;
    const result = runGc({
      root: ctx.root,
      projectId,
      olderThanMs: ageMs(olderThan),
      dryRun: body.dry_run ?? query.dry_run ?? false,
      keepFailed: body.keep_failed ?? query.keep_failed ?? false,
    });
    if (!result.dryRun) {
      for (const taskId of new Set(result.pruned.map((r) => r.taskId))) {
        ctx.index.refreshTask(projectId, taskId);
      }
    }
    audit(ctx, request, 'project.gc', projectId, result.dryRun ? 'dry_run' : undefined);
    return {
      project_id: projectId,
      dry_run: result.dryRun,
      older_than: String(olderThan),
      pruned: result.pruned.map((r) => ({
        task_id: r.taskId,
        run_id: r.runId,
        status: r.status,
        bytes: r.bytes,
      })),
      pruned_count: result.pruned.length,
      bytes_freed: result.bytesFreed,
      kept: result.kept,
    };
  });
}
