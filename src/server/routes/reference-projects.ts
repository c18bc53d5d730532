/**
 * The reference's project-level routes (compat.md §9): the known home folders, deleting a
 * whole project, and gc of its finished runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditAction } from '../audit.js';
import type { ServerContext } from '../context.js';
import { deleteProject } from '../task-service.js';
import { parseQuery } from './parse.js';
import { projectRoot } from './reference.js';
import { refuseFromWebUi } from './tasks.js';

/** `?force=true` style flags; a bare `?force` counts as true. */
const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === '');

const deleteQuery = z.object({ force: flag });

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
}
