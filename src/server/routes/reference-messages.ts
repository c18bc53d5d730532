/** The reference's message routes: read, post and stream a project's or a task's bus. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BusMessage } from '../../bus/record.js';
import { busPathFor, postMessage, readMessages, streamMessages } from '../bus-service.js';
import type { ServerContext } from '../context.js';
import { referenceMessageJson } from '../message-view.js';
import { typesOf } from './messages.js';
import { intFrom, parseBody, parseQuery } from './parse.js';

type P = { Params: { p: string } };
type PT = { Params: { p: string; t: string } };

/** One function for every stream client, so a message's JSON is built once for all. */
const sseFormat = (m: BusMessage): unknown => referenceMessageJson(m, true);

export function registerReferenceMessageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const msgQuery = z.object({
    since: z.string().max(128).optional(),
    after: z.string().max(128).optional(),
    type: z.string().max(200).optional(),
    limit: intFrom(0, 100_000, 0).optional(),
  });
  const readScope = async (
    projectId: string,
    taskId: string | undefined,
    query: unknown,
  ): Promise<unknown> => {
    const q = parseQuery(msgQuery, query);
    const path = busPathFor(ctx, { projectId, taskId });
    const messages = await readMessages(path, {
      sinceId: q.since ?? q.after,
      types: typesOf(q.type),
      limit: q.limit,
    });
    return { messages: messages.map((m) => referenceMessageJson(m)) };
  };
  const postScope = z.object({
    type: z.string().max(64).optional(),
    body: z.string(),
    run_id: z.string().max(200).optional(),
  });
  app.get<P>('/api/projects/:p/messages', async (request) =>
    readScope(request.params.p, undefined, request.query),
  );
  app.get<PT>('/api/projects/:p/tasks/:t/messages', async (request) =>
    readScope(request.params.p, request.params.t, request.query),
  );
  app.post<P>('/api/projects/:p/messages', async (request, reply) => {
    const b = parseBody(postScope, request.body);
    const path = busPathFor(ctx, { projectId: request.params.p });
    const m = await postMessage(ctx, request, path, { ...b, project_id: request.params.p });
    return reply.code(201).send({ msg_id: m.msg_id, timestamp: m.ts });
  });
  app.post<PT>('/api/projects/:p/tasks/:t/messages', async (request, reply) => {
    const b = parseBody(postScope, request.body);
    const path = busPathFor(ctx, { projectId: request.params.p, taskId: request.params.t });
    const m = await postMessage(ctx, request, path, {
      ...b,
      project_id: request.params.p,
      task_id: request.params.t,
    });
    return reply.code(201).send({ msg_id: m.msg_id, timestamp: m.ts });
  });
  app.get<P>('/api/projects/:p/messages/stream', async (request, reply) => {
    const path = busPathFor(ctx, { projectId: request.params.p });
    await streamMessages(ctx, request, reply, path, { format: sseFormat });
  });
  app.get<PT>('/api/projects/:p/tasks/:t/messages/stream', async (request, reply) => {
    const path = busPathFor(ctx, { projectId: request.params.p, taskId: request.params.t });
    await streamMessages(ctx, request, reply, path, { format: sseFormat });
  });
}
