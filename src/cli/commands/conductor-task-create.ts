/**
 * `conductor task create`: build the request from flags (the prompt file is read here, so
 * a remote server never needs our files), print only the task id (scripts capture it), and
 * optionally wait for or follow the task to its end.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CreateTaskRequest } from '../../client/api-types.js';
import { ValidationError, fsError } from '../../core/errors.js';
import { parseProjectId, parseTaskId } from '../../core/ids.js';
import { parseDurationMs, parseIntFlag, scopeFromFlags, type ScopeFlags } from '../options.js';
import { followTask, toStderr, toStdio } from './conductor-follow.js';
import { clientFrom, printJson, printLine, type ClientFlags } from './conductor-options.js';
import { Progress, taskOutcomeError, waitForTask } from './conductor-wait.js';

/** Project used when neither a flag nor JRUN_PROJECT_ID names one (the seed's error-path examples give none). */
export const DEFAULT_PROJECT_ID = 'default';

export interface CreateFlags extends ScopeFlags, ClientFlags {
  agent?: string;
  agentType?: string;
  prompt?: string;
  promptFile?: string;
  cwd?: string;
  dependsOn?: string[];
  timeout?: string;
  maxRestarts?: string;
  wait?: boolean;
  follow?: boolean;
  waitTimeout?: string;
}

export function buildCreateRequest(flags: CreateFlags): CreateTaskRequest {
  const scope = scopeFromFlags(flags);
  const request: CreateTaskRequest = {
    project_id: parseProjectId(scope.projectId ?? DEFAULT_PROJECT_ID),
    prompt: promptFromFlags(flags),
  };
  if (scope.taskId !== undefined) request.task_id = parseTaskId(scope.taskId);
  const agent = flags.agent ?? flags.agentType;
  if (agent !== undefined) request.agent = agent;
  if (flags.cwd !== undefined) request.cwd = resolve(flags.cwd);
  if (flags.dependsOn !== undefined && flags.dependsOn.length > 0) {
    request.depends_on = flags.dependsOn.map((id) => parseTaskId(id));
  }
  if (flags.timeout !== undefined) {
    request.timeout = parseDurationMs(flags.timeout, '--timeout') / 1000;
    if (request.timeout <= 0) throw new ValidationError('--timeout must be more than 0 seconds');
  }
  if (flags.maxRestarts !== undefined) {
    request.max_restarts = parseIntFlag(flags.maxRestarts, '--max-restarts');
  }
  return request;
}

function promptFromFlags(flags: CreateFlags): string {
  if (flags.prompt !== undefined && flags.promptFile !== undefined) {
    throw new ValidationError('give either --prompt or --prompt-file, not both');
  }
  if (flags.promptFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.promptFile, 'utf8');
    } catch (error) {
      throw fsError('read prompt file', flags.promptFile, error);
    }
    if (text.trim() === '') throw new ValidationError(`prompt file ${flags.promptFile} is empty`);
    return text;
  }
  if (flags.prompt === undefined || flags.prompt.trim() === '') {
    throw new ValidationError('a prompt is required: use --prompt TEXT or --prompt-file FILE');
  }
  return flags.prompt;
}

export async function createTask(flags: CreateFlags): Promise<void> {
  const request = buildCreateRequest(flags);
  const waitTimeoutMs =
    flags.waitTimeout === undefined
      ? undefined
      : parseDurationMs(flags.waitTimeout, '--wait-timeout');
  const client = await clientFrom(flags);
  const created = await client.createTask(request);
  const { project_id: projectId, task_id: taskId } = created;
  if (flags.wait !== true && flags.follow !== true) {
    if (flags.json === true) printJson(created);
    else printLine(taskId);
    return;
  }
  if (flags.json !== true) printLine(taskId);
  let final;
  if (flags.follow === true) {
    // With --json, stdout carries only the final task; the live output goes to stderr.
    final = await followTask(client, projectId, taskId, {
      timeoutMs: waitTimeoutMs,
      sink: flags.json === true ? toStderr : toStdio,
    });
  } else {
    const progress = new Progress();
    try {
      final = await waitForTask(client, projectId, taskId, {
        timeoutMs: waitTimeoutMs,
        onPoll: (task) => progress.update(task),
      });
    } finally {
      progress.clear();
    }
  }
  if (flags.json === true) printJson(final);
  const failure = taskOutcomeError(final);
  if (failure !== undefined) throw failure;
}
