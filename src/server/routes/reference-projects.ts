/**
 * The reference's project-level routes (compat.md §9): the known home folders, deleting a
 * whole project, and gc of its finished runs.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { projectRoot } from './reference.js';

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
}
