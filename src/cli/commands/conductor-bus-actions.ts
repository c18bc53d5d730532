/** Implementations of `conductor bus read|post` (loaded when the command runs). */
import type { Message } from '../../client/api-types.js';
import { ValidationError } from '../../core/errors.js';
import { parseProjectId, parseRunId, parseTaskId } from '../../core/ids.js';
import { parseIntFlag, scopeFromFlags, type ScopeFlags } from '../options.js';
import { clientFrom, printJson, printLine, type ClientFlags } from './conductor-options.js';

export interface ReadFlags extends ScopeFlags, ClientFlags {
  since?: string;
  type?: string;
  limit?: string;
  follow?: boolean;
}

function busScope(flags: ScopeFlags, command: string): { projectId: string; taskId?: string } {
  const scope = scopeFromFlags(flags);
  if (scope.projectId === undefined) {
    throw new ValidationError(`${command} needs --project-id (or JRUN_PROJECT_ID)`);
  }
  return {
    projectId: parseProjectId(scope.projectId),
    ...(scope.taskId !== undefined ? { taskId: parseTaskId(scope.taskId) } : {}),
  };
}

export function formatMessage(m: Message): string {
  const where =
    m.task_id !== undefined && m.task_id !== '' ? `${m.project_id}/${m.task_id}` : m.project_id;
  return `[${m.ts}] ${m.type} ${where} (${m.msg_id})\n${m.body.replace(/\n*$/, '')}\n`;
}

export async function readBus(flags: ReadFlags): Promise<void> {
  const { projectId, taskId } = busScope(flags, 'bus read');
  const client = await clientFrom(flags);
  const messages = await client.messages({
    project_id: projectId,
    task_id: taskId,
    since: flags.since,
    type: flags.type,
    limit: flags.limit === undefined ? undefined : parseIntFlag(flags.limit, '--limit', 1),
  });
  const print = (m: Message): void => {
    if (flags.json === true) process.stdout.write(`${JSON.stringify(m)}\n`);
    else printLine(formatMessage(m));
  };
  if (flags.json === true && flags.follow !== true) {
    printJson({ messages });
    return;
  }
  // With --follow, --json prints one message per line (JSON Lines) so it can stream.
  for (const m of messages) print(m);
  if (flags.follow !== true) return;
  const seen = new Set(messages.map((m) => m.msg_id));
  let lastEventId = messages[messages.length - 1]?.msg_id ?? flags.since;
  for (;;) {
    for await (const event of client.messageStream(
      { project_id: projectId, task_id: taskId, type: flags.type },
      { lastEventId },
    )) {
      if (event.event !== 'message') continue;
      const m = JSON.parse(event.data) as Message;
      lastEventId = m.msg_id;
      if (seen.has(m.msg_id)) continue; // the stream may replay recent messages first
      seen.add(m.msg_id);
      print(m);
    }
  }
}

export interface PostFlags extends ScopeFlags, ClientFlags {
  runId?: string;
  type?: string;
  body?: string;
}

export async function postBus(flags: PostFlags): Promise<void> {
  const { projectId, taskId } = busScope(flags, 'bus post');
  const body = flags.body ?? (await readStdin());
  if (body.trim() === '')
    throw new ValidationError('the message body is empty: use --body or pipe it on stdin');
  const client = await clientFrom(flags);
  const result = await client.postMessage({
    project_id: projectId,
    ...(taskId !== undefined ? { task_id: taskId } : {}),
    ...(flags.runId !== undefined ? { run_id: parseRunId(flags.runId) } : {}),
    type: flags.type ?? 'INFO',
    body,
  });
  if (flags.json === true) printJson(result);
  else printLine(result.msg_id);
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ValidationError('give the message with --body TEXT or pipe it on stdin');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
