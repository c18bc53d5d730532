/**
 * Message-bus operations for routes (v1 and reference): resolve the bus file of a
 * project/task (ids validated, folder must exist), read, post (audited, counted) and
 * stream via the bus's follow API.
 */
import { existsSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { projectBusPath, taskBusPath } from '../bus/paths.js';
import { matchesFilter, readBus } from '../bus/reader.js';
import type { BusMessage } from '../bus/record.js';
import { appendMessage, type MessageDraft } from '../bus/writer.js';
import { errnoCode, isConductorError, NotFoundError } from '../core/errors.js';
import { formatPreciseTimestamp, parseMsgId, parseProjectId, parseTaskId } from '../core/ids.js';
import { projectDir, taskDir } from '../core/layout.js';
import type { ServerContext } from './context.js';
import { lastEventId, type SseStream } from './sse.js';

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

/** JSON of a live message per format, computed once however many clients receive it. */
const formatted = new WeakMap<BusMessage, Map<(m: BusMessage) => unknown, string>>();

function formatOnce(m: BusMessage, format: (m: BusMessage) => unknown): string {
  let byFormat = formatted.get(m);
  if (byFormat === undefined)
    formatted.set(m, (byFormat = new Map<(m: BusMessage) => unknown, string>()));
  let json = byFormat.get(format);
  if (json === undefined) byFormat.set(format, (json = JSON.stringify(format(m))));
  return json;
}

export interface StreamRequest {
  types?: string[] | undefined;
  /** Messages replayed when the client gives no resume id (reference: last 20). */
  replay?: number;
  format: (m: BusMessage) => unknown;
}

/**
 * SSE of a bus file: `event: message`, id = msg_id. Replays the last `replay` messages, or
 * everything after `Last-Event-ID`, then follows live through the shared follower.
 */
export async function streamMessages(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  req: StreamRequest,
): Promise<void> {
  const resume = lastEventId(request) ?? (request.query as { since?: string } | undefined)?.since;
  const resumeId = resume !== undefined && resume !== '' ? parseMsgId(resume) : undefined;
  const wanted = (m: BusMessage): boolean =>
    req.types === undefined || matchesFilter(m, { types: req.types });
  let stream: SseStream | undefined;
  let buffered: BusMessage[] | undefined = [];
  let seen: Set<string> | undefined;
  const emit = (m: BusMessage): void => {
    // Live messages that the backlog read already returned are skipped; the first new one
    // proves every later one is new too.
    if (seen !== undefined) {
      if (seen.has(m.msg_id)) return;
      seen = undefined;
    }
    if (wanted(m)) stream?.sendData('message', formatOnce(m, req.format), m.msg_id);
  };
  // Subscribe before reading the backlog, so nothing appended in between is lost.
  const unsubscribe = ctx.busFanout.subscribe(path, (m) => {
    if (buffered !== undefined) buffered.push(m);
    else emit(m);
  });
  try {
    // An unknown resume id is a plain 404 here, before the stream opens.
    const backlog = await readMessages(path, { sinceId: resumeId });
    stream = ctx.sse.open(request, reply);
    seen = new Set(backlog.map((m) => m.msg_id));
    let replay = backlog.filter(wanted);
    if (resumeId === undefined)
      replay = replay.slice(Math.max(0, replay.length - (req.replay ?? 20)));
    for (const m of replay) stream.send('message', req.format(m), m.msg_id);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  void stream.closed.then(unsubscribe);
  const pending = buffered;
  buffered = undefined;
  for (const m of pending) emit(m);
}

export function nowTimestamp(): string {
  return formatPreciseTimestamp();
}
