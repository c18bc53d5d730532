/**
 * Live index changes: `/api/v1/events` (ours: `run` RunSummary / `task` TaskSummary, id =
 * sequence number, resumable from the backlog) and the reference's `/api/v1/runs/stream/all`
 * (`status` events of every run, then changes).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { IndexEvent } from '../run-index.js';
import { lastEventId } from '../sse.js';
import { runSummary, taskSummary } from '../views.js';

export function registerEventRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/events', async (request, reply) => {
    const resume = lastEventId(request);
    const since = resume !== undefined && /^\d+$/.test(resume) ? Number(resume) : undefined;
    const stream = ctx.sse.open(request, reply);
    const send = (event: IndexEvent): void => {
      if (event.kind === 'run') stream.send('run', runSummary(event.run.info), String(event.seq));
      else stream.send('task', taskSummary(ctx.index, event.task), String(event.seq));
    };
    // Subscribe first, then replay, so nothing falls between the two.
    const queued: IndexEvent[] = [];
    let replaying = true;
    const off = ctx.index.onEvent((event) => (replaying ? queued.push(event) : send(event)));
    void stream.closed.then(off);
    let lastSent = ctx.index.lastSeq;
    if (since !== undefined) {
      const backlog = ctx.index.eventsSince(since);
      if (backlog === undefined) {
        // Too old to resume: tell the client to reload its lists.
        stream.send('reset', { last_seq: ctx.index.lastSeq });
      } else {
        for (const event of backlog) send(event);
        lastSent = backlog[backlog.length - 1]?.seq ?? since;
      }
    } else {
      stream.send('hello', { last_seq: lastSent }, String(lastSent));
    }
    replaying = false;
    for (const event of queued) if (event.seq > lastSent) send(event);
  });

  app.get('/api/v1/runs/stream/all', async (request, reply) => {
    const stream = ctx.sse.open(request, reply);
    const status = (
      info: (typeof ctx.index.runs extends Map<string, infer R> ? R : never)['info'],
    ): void => {
      stream.send('status', {
        run_id: info.run_id,
        project_id: info.project_id,
        task_id: info.task_id,
        status: info.status,
        exit_code: info.exit_code,
      });
    };
    const off = ctx.index.onEvent((event) => {
      if (event.kind === 'run') status(event.run.info);
    });
    void stream.closed.then(off);
    for (const run of ctx.index.runs.values()) status(run.info);
  });
}
