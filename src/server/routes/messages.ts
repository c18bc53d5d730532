/** `/api/v1/messages`: read, post and stream a project's or task's message bus. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { busPathFor, postMessage, readMessages, streamMessages } from '../bus-service.js';
import type { ServerContext } from '../context.js';
import { messageJson } from '../message-view.js';
import { intFrom, parseBody, parseQuery } from './parse.js';

const idText = z.string().min(1).max(128);

const scopeQuery = z.object({
  project_id: idText,
  task_id: idText.optional(),
  type: z.string().max(200).optional(),
});

const readQuery = scopeQuery.extend({
  since: z.string().max(128).optional(),
  after: z.string().max(128).optional(),
  limit: intFrom(0, 100_000, 0).optional(),
});

export const postBody = z.object({
  project_id: idText,
  task_id: idText.optional(),
  run_id: z.string().max(200).optional(),
  type: z.string().max(64).optional(),
  body: z.string(),
  issue_id: z.string().max(200).optional(),
  parents: z
    .array(
      z.union([
        z
          .string()
          .max(200)
          .transform((msg_id) => ({ msg_id })),
        z.object({ msg_id: z.string().max(200), kind: z.string().max(64).optional() }),
      ]),
    )
    .max(100)
    .optional(),
  links: z
    .array(
      z.object({
        url: z.string().max(2000),
        label: z.string().max(200).optional(),
        kind: z.string().max(64).optional(),
      }),
    )
    .max(100)
    .optional(),
  meta: z.record(z.string().max(200), z.string().max(10_000)).optional(),
});

export function typesOf(type: string | undefined): string[] | undefined {
  return type === undefined || type === '' ? undefined : type.split(',').filter((t) => t !== '');
}

export function registerMessageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/messages', async (request) => {
    const q = parseQuery(readQuery, request.query);
    const path = busPathFor(ctx, { projectId: q.project_id, taskId: q.task_id });
    const messages = await readMessages(path, {
      sinceId: q.since ?? q.after,
      types: typesOf(q.type),
      limit: q.limit,
    });
    return { messages: messages.map(messageJson) };
  });

  app.post('/api/v1/messages', async (request, reply) => {
    const b = parseBody(postBody, request.body);
    const path = busPathFor(ctx, { projectId: b.project_id, taskId: b.task_id });
    const message = await postMessage(ctx, request, path, {
      project_id: b.project_id,
      ...(b.task_id !== undefined ? { task_id: b.task_id } : {}),
      ...(b.run_id !== undefined ? { run_id: b.run_id } : {}),
      ...(b.type !== undefined ? { type: b.type } : {}),
      ...(b.issue_id !== undefined ? { issue_id: b.issue_id } : {}),
      ...(b.parents !== undefined ? { parents: b.parents } : {}),
      ...(b.links !== undefined ? { links: b.links } : {}),
      ...(b.meta !== undefined ? { meta: b.meta } : {}),
      body: b.body,
    });
    return reply.code(201).send({ msg_id: message.msg_id, timestamp: message.ts });
  });

  app.get('/api/v1/messages/stream', async (request, reply) => {
    const q = parseQuery(scopeQuery, request.query);
    const path = busPathFor(ctx, { projectId: q.project_id, taskId: q.task_id });
    await streamMessages(ctx, request, reply, path, {
      types: typesOf(q.type),
      format: messageJson,
    });
  });
}
