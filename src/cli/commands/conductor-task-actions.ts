/** `conductor task list|show|stop|resume|delete|wait`: thin calls of the API client. */
import type { ApiClient } from '../../client/api-client.js';
import type { TaskDetail, TaskSummary } from '../../client/api-types.js';
import {
  ConflictError,
  RetriableError,
  ValidationError,
  isConductorError,
} from '../../core/errors.js';
import { parseProjectId, parseTaskId } from '../../core/ids.js';
import { parseDurationMs, scopeFromFlags, type ScopeFlags } from '../options.js';
import { cell, firstLine, formatDuration, table } from './conductor-format.js';
import { clientFrom, printJson, printLine, type ClientFlags } from './conductor-options.js';
import { Progress, isTerminal, taskOutcomeError, waitForTask } from './conductor-wait.js';

export interface TaskRefFlags extends ScopeFlags, ClientFlags {}

/** `P T` positionals win over `--project-id/--task-id` (and JRUN_* from an enclosing run). */
export function taskRef(
  args: (string | undefined)[],
  flags: ScopeFlags,
  command: string,
): { projectId: string; taskId: string } {
  const scope = scopeFromFlags(flags);
  const [first, second] = args;
  const projectId = second !== undefined ? first : scope.projectId;
  const taskId = second !== undefined ? second : (first ?? scope.taskId);
  if (projectId === undefined || taskId === undefined) {
    throw new ValidationError(
      `${command} needs a project and a task: conductor ${command} PROJECT TASK (or --project-id P --task-id T)`,
    );
  }
  return { projectId: parseProjectId(projectId), taskId: parseTaskId(taskId) };
}

export interface ListFlags extends ClientFlags, ScopeFlags {
  status?: string;
  agent?: string;
}

export async function listTasks(flags: ListFlags): Promise<void> {
  const client = await clientFrom(flags);
  const projectId = flags.projectId ?? flags.project;
  const filters = { status: flags.status, agent: flags.agent };
  const projects =
    projectId !== undefined
      ? [parseProjectId(projectId)]
      : (await client.projects()).map((p) => p.project_id);
  const tasks: TaskSummary[] = [];
  for (const p of projects) tasks.push(...(await client.allTasks(p, filters)));
  if (flags.json === true) {
    printJson({ tasks });
    return;
  }
  if (tasks.length === 0) {
    process.stderr.write('no tasks\n');
    return;
  }
  printLine(
    table(
      ['PROJECT', 'TASK', 'STATUS', 'AGENT', 'RUNS', 'LATEST RUN', 'LAST ACTIVITY'],
      tasks.map((t) => [
        t.project_id,
        t.task_id,
        t.status,
        cell(t.agent),
        cell(t.run_count),
        cell(t.latest_run_status),
        cell(t.last_activity),
      ]),
    ),
  );
}

export async function showTask(args: (string | undefined)[], flags: TaskRefFlags): Promise<void> {
  const { projectId, taskId } = taskRef(args, flags, 'task show');
  const client = await clientFrom(flags);
  const task = await client.task(projectId, taskId);
  if (flags.json === true) {
    printJson(task);
    return;
  }
  printLine(formatTask(task));
}

export function formatTask(task: TaskDetail): string {
  const fields: [string, unknown][] = [
    ['project', task.project_id],
    ['task', task.task_id],
    ['status', task.status],
    ['agent', task.agent],
    ['runs', task.run_count ?? task.runs?.length],
    ['depends on', task.depends_on],
    ['blocked by', task.blocked_by],
    ['created', task.created_at],
    ['last activity', task.last_activity],
    ['prompt', task.prompt !== undefined ? firstLine(task.prompt) : undefined],
  ];
  const lines = fields
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${`${k}:`.padEnd(15)}${cell(v)}`);
  const runs = task.runs ?? [];
  if (runs.length > 0) {
    lines.push(
      '',
      table(
        ['RUN', 'STATUS', 'EXIT', 'DURATION', 'AGENT', 'STARTED', 'ERROR'],
        runs.map((r) => [
          r.run_id,
          r.status,
          cell(r.exit_code),
          formatDuration(r.duration_ms),
          cell(r.agent),
          cell(r.start_time),
          r.error_summary !== undefined ? firstLine(r.error_summary, 60) : '-',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export async function stopTask(args: (string | undefined)[], flags: TaskRefFlags): Promise<void> {
  const { projectId, taskId } = taskRef(args, flags, 'task stop');
  const client = await clientFrom(flags);
  const result = await client.stopTask(projectId, taskId);
  if (flags.json === true) printJson(result);
  else
    printLine(
      `stopping ${projectId}/${taskId} (${result.stopped_runs} running run${result.stopped_runs === 1 ? '' : 's'})`,
    );
}

export async function resumeTask(args: (string | undefined)[], flags: TaskRefFlags): Promise<void> {
  const { projectId, taskId } = taskRef(args, flags, 'task resume');
  const client = await clientFrom(flags);
  const task = await client.resumeTask(projectId, taskId);
  if (flags.json === true) printJson(task);
  else printLine(`resumed ${projectId}/${taskId}: ${task.status}`);
}

export interface DeleteFlags extends TaskRefFlags {
  force?: boolean;
}

const FORCE_STOP_WAIT_MS = 60_000;

export async function deleteTask(args: (string | undefined)[], flags: DeleteFlags): Promise<void> {
  const { projectId, taskId } = taskRef(args, flags, 'task delete');
  const client = await clientFrom(flags);
  try {
    await client.deleteTask(projectId, taskId);
  } catch (error) {
    if (!isConductorError(error) || error.code !== 'CONFLICT') throw error;
    if (flags.force !== true) {
      throw new ConflictError(
        `task ${projectId}/${taskId} is running: stop it first (conductor task stop ${projectId} ${taskId}) or pass --force`,
      );
    }
    await stopAndSettle(client, projectId, taskId);
    await client.deleteTask(projectId, taskId);
  }
  if (flags.json === true) printJson({ project_id: projectId, task_id: taskId, deleted: true });
  else printLine(`deleted ${projectId}/${taskId}`);
}

/** --force: stop the loop and its runs, then wait until nothing of the task runs. */
async function stopAndSettle(client: ApiClient, projectId: string, taskId: string): Promise<void> {
  await client.stopTask(projectId, taskId);
  try {
    await waitForTask(client, projectId, taskId, {
      timeoutMs: FORCE_STOP_WAIT_MS,
      until: (t) => t.latest_run_status !== 'running' && t.status !== 'running',
    });
  } catch (error) {
    if (isConductorError(error) && error.code === 'WAIT_TIMEOUT') {
      throw new RetriableError(
        'STOP_TIMEOUT',
        `task ${projectId}/${taskId} did not stop within ${FORCE_STOP_WAIT_MS / 1000}s; not deleted`,
      );
    }
    throw error;
  }
}

export interface WaitFlags extends TaskRefFlags {
  timeout?: string;
}

export async function waitTask(args: (string | undefined)[], flags: WaitFlags): Promise<void> {
  const { projectId, taskId } = taskRef(args, flags, 'task wait');
  const timeoutMs =
    flags.timeout === undefined ? undefined : parseDurationMs(flags.timeout, '--timeout');
  const client = await clientFrom(flags);
  const progress = new Progress();
  let task: TaskDetail;
  try {
    task = await waitForTask(client, projectId, taskId, {
      timeoutMs,
      onPoll: (t) => progress.update(t),
    });
  } finally {
    progress.clear();
  }
  if (flags.json === true) printJson(task);
  else if (isTerminal(task)) printLine(`${projectId}/${taskId}: ${task.status}`);
  const failure = taskOutcomeError(task);
  if (failure !== undefined) throw failure;
}
