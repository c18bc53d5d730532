/**
 * Message-bus operations for routes (v1 and reference): resolve the bus file of a
 * project/task (ids validated, folder must exist), read, post (audited, counted) and
 * stream via the bus's follow API.
 */
import { existsSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { followBus, type FollowStart } from '../bus/follow.js';
import { projectBusPath, taskBusPath } from '../bus/paths.js';
import { readBus } from '../bus/reader.js';
import type { BusMessage } from '../bus/record.js';
import { appendMessage, type MessageDraft } from '../bus/writer.js';
import { errnoCode, isConductorError, NotFoundError } from '../core/errors.js';
import { formatPreciseTimestamp, parseMsgId, parseProjectId, parseTaskId } from '../core/ids.js';
import { projectDir, taskDir } from '../core/layout.js';
import type { ServerContext } from './context.js';
import { lastEventId } from './sse.js';

export interface BusScope {
  projectId: string;
  taskId?: string | undefined;
}

/** Path of the scope's bus file; 404 when the project (or task) does not exist. */
export function busPathFor(ctx: ServerContext, scope: BusScope): string {
  parseProjectId(scope.projectId);
  if (!existsSync(projectDir(ctx.root, scope.projectId)))
    throw new NotFoundError('project not found');
  if (scope.taskId === undefined || scope.taskId === '')
    return projectBusPath(ctx.root, scope.projectId);
  parseTaskId(scope.taskId);
  if (!existsSync(taskDir(ctx.root, scope.projectId, scope.taskId)))
    throw new NotFoundError('task not found');
  return taskBusPath(ctx.root, scope.projectId, scope.taskId);
}

export interface ReadRequest {
  sinceId?: string | undefined;
  types?: string[] | undefined;
  limit?: number | undefined;
}

export async function readMessages(path: string, req: ReadRequest): Promise<BusMessage[]> {
  if (req.sinceId !== undefined) parseMsgId(req.sinceId);
  try {
    return await readBus(path, {
      ...(req.sinceId !== undefined ? { sinceId: req.sinceId } : {}),
      ...(req.types !== undefined ? { types: req.types } : {}),
      ...(req.limit !== undefined ? { tail: req.limit } : {}),
    });
  } catch (error) {
    if (isConductorError(error) && error.code === 'NOT_FOUND') {
      if (req.sinceId !== undefined && existsSync(path))
        throw new NotFoundError('message id not found');
      return [];
    }
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

export async function postMessage(
  ctx: ServerContext,
  request: FastifyRequest,
  path: string,
  draft: MessageDraft,
): Promise<BusMessage> {
  const message = await appendMessage(path, draft);
  ctx.metrics.busAppends.inc();
  ctx.audit.record({
    action: 'bus.post',
    user: request.user,
    request_id: request.id,
    remote_addr: request.ip,
    project_id: draft.project_id,
    task_id: draft.task_id,
    run_id: draft.run_id,
    msg_id: message.msg_id,
  });
  return message;
}

export interface StreamRequest {
  types?: string[] | undefined;
  /** Messages replayed when the client gives no resume id (reference: last 20). */
  replay?: number;
  format: (m: BusMessage) => unknown;
}

/** SSE of a bus file: `event: message`, id = msg_id; resumes after `Last-Event-ID`. */
export async function streamMessages(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  req: StreamRequest,
): Promise<void> {
  const resume = lastEventId(request) ?? (request.query as { since?: string } | undefined)?.since;
  let start: FollowStart = { tail: req.replay ?? 20 };
  if (resume !== undefined && resume !== '') {
    parseMsgId(resume);
    // Check the id exists before the stream opens, so an unknown id is a plain 404.
    await readMessages(path, { sinceId: resume, limit: 1 });
    start = existsSync(path) ? { afterMsgId: resume } : 'start';
  } else if (!existsSync(path)) {
    start = 'start';
  }
  const stream = ctx.sse.open(request, reply);
  const abort = new AbortController();
  void stream.closed.then(() => abort.abort());
  void (async () => {
    try {
      for await (const message of followBus(path, {
        start,
        signal: abort.signal,
        pollIntervalMs: ctx.pollMs,
        ...(req.types !== undefined ? { filter: { types: req.types } } : {}),
      })) {
        stream.send('message', req.format(message), message.msg_id);
      }
    } catch (error) {
      stream.send('error', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      stream.close();
    }
  })();
}

export function nowTimestamp(): string {
  return formatPreciseTimestamp();
}
