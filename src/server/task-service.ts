/**
 * Task operations behind the task routes (v1 and reference): create + start the restart
 * loop in-process, stop, resume, delete. The loop itself is the runner's (runTask); this
 * file only owns which loops this server process drives, so it can stop them.
 */
import { rmSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { AgentConfig } from '../core/config.js';
import { ConflictError, fsError, NotFoundError } from '../core/errors.js';
import { parseProjectId, parseTaskId } from '../core/ids.js';
import { projectDir, taskDir as taskDirOf } from '../core/layout.js';
import { isTerminalStatus } from '../core/run-info.js';
import {
  clearDone,
  clearStopRequested,
  ensureTaskPrompt,
  isActiveLoopStatus,
  isLoopOwnerAlive,
  readTaskPrompt,
  writeStopRequested,
} from '../core/task-files.js';
import { stopRun } from '../runner/job.js';
import { deleteTask as deleteTaskFolder } from '../runner/task-admin.js';
import type { ServerContext } from './context.js';
import type { TaskEntry } from './run-index.js';
import { startTaskLoop, type LoopRequest } from './task-loop-binding.js';

export interface OwnedLoop {
  controller: AbortController;
  done: Promise<void>;
}

/** Loops this server drives, by `<project>/<task>`. */
export const ownedLoops = new Map<string, OwnedLoop>();

export function getTask(ctx: ServerContext, projectId: string, taskId: string): TaskEntry {
  parseProjectId(projectId);
  parseTaskId(taskId);
  const task = ctx.index.task(projectId, taskId) ?? ctx.index.refreshTask(projectId, taskId);
  if (task === undefined) throw new NotFoundError('task not found');
  return task;
}

/** A task is active when its loop runs (owner alive) or one of its runs is not finished. */
export function isTaskActive(ctx: ServerContext, task: TaskEntry): boolean {
  if (ownedLoops.has(`${task.projectId}/${task.taskId}`)) return true;
  if (
    task.loop !== undefined &&
    isActiveLoopStatus(task.loop.status) &&
    isLoopOwnerAlive(task.loop)
  ) {
    return true;
  }
  return ctx.index.runsOfTask(task).some((r) => !isTerminalStatus(r.info.status));
}

export interface CreateTask {
  projectId: string;
  taskId: string;
  agent: AgentConfig;
  prompt: string;
  cwd?: string | undefined;
  dependsOn?: string[] | undefined;
  timeoutMs?: number | undefined;
  maxRestarts?: number | undefined;
}

export interface Started {
  status: string;
  runId?: string;
}

/** Start (or restart) the loop of a task in this process; resolves once it has a first state. */
export async function launchLoop(ctx: ServerContext, request: LoopRequest): Promise<Started> {
  const key = `${request.projectId}/${request.taskId}`;
  const controller = new AbortController();
  let firstRun: string | undefined;
  let failure: { error: unknown } | undefined;
  let resolveFirst!: () => void;
  const first = new Promise<void>((resolve) => (resolveFirst = resolve));
  const started = Date.now();
  const entry: OwnedLoop = { controller, done: Promise.resolve() };
  entry.done = startTaskLoop(ctx, request, controller.signal, {
    onRunCreated: (runId, runDir) => {
      firstRun ??= runId;
      ctx.index.refreshRun(runDir, request.projectId, request.taskId);
      resolveFirst();
    },
    onRunStarted: (_runId, runDir) => {
      ctx.index.refreshRun(runDir, request.projectId, request.taskId);
    },
    // Waiting for dependencies: answer now rather than after the wait below.
    onBlocked: () => resolveFirst(),
  })
    .then((result) => {
      ctx.metrics.tasksCompleted.inc({ status: result.status });
      ctx.metrics.taskDuration.observe((Date.now() - started) / 1000);
      if (result.status !== 'done') {
        ctx.metrics.taskFailures.inc({
          agent: request.agent.name,
          reason: result.reason ?? result.status,
        });
      }
    })
    .catch((error: unknown) => {
      failure = { error };
      ctx.metrics.tasksCompleted.inc({ status: 'failed' });
      ctx.metrics.taskFailures.inc({ agent: request.agent.name, reason: 'error' });
      ctx.logger.warn(
        { err: error, project_id: request.projectId, task_id: request.taskId },
        'task loop failed',
      );
    })
    .finally(() => {
      if (ownedLoops.get(key) === entry) ownedLoops.delete(key);
      ctx.index.refreshTask(request.projectId, request.taskId);
      resolveFirst();
    });
  ownedLoops.set(key, entry);
  // Answer once the first run folder exists (or the loop is blocked), but never wait long.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, 1_500)))]);
  clearTimeout(timer);
  // A loop that refused to start (bad dependency, unknown agent...) is the request's error.
  if (failure !== undefined && firstRun === undefined) throw failure.error;
  const task = ctx.index.refreshTask(request.projectId, request.taskId);
  const latest = task !== undefined ? ctx.index.latestRun(task) : undefined;
  const status = latest?.info.status ?? task?.loop?.status ?? 'queued';
  return { status, ...(firstRun !== undefined ? { runId: firstRun } : {}) };
}

export function prepareTask(ctx: ServerContext, create: CreateTask): string {
  const dir = taskDirOf(ctx.root, create.projectId, create.taskId);
  ensureTaskPrompt(dir, create.prompt);
  return dir;
}

/** Stop the loop (ours, or another owner's via STOP-REQUESTED) and every running run. */
export async function stopTask(ctx: ServerContext, task: TaskEntry): Promise<number> {
  writeStopRequested(task.dir, true);
  ownedLoops.get(`${task.projectId}/${task.taskId}`)?.controller.abort();
  const active = ctx.index.runsOfTask(task).filter((r) => !isTerminalStatus(r.info.status));
  await Promise.all(
    active.map(async (run) => {
      try {
        await stopRun(run.runDir, { graceMs: ctx.config.defaults.stopGraceMs });
      } catch (error) {
        ctx.logger.warn({ err: error, run_id: run.info.run_id }, 'stop failed');
      }
      ctx.index.refreshRun(run.runDir, task.projectId, task.taskId);
    }),
  );
  return active.length;
}

export function clearForResume(task: TaskEntry): void {
  clearDone(task.dir);
  clearStopRequested(task.dir);
}

/** Delete a finished task (409 while its loop or a run is active), through the runner. */
export async function deleteTask(ctx: ServerContext, task: TaskEntry): Promise<void> {
  if (isTaskActive(ctx, task)) {
    throw new ConflictError(`task ${task.taskId} is running; stop it first`);
  }
  await deleteTaskFolder(task.dir, { force: false });
  ctx.index.forgetTask(`${task.projectId}/${task.taskId}`);
}

export interface DeletedProject {
  deletedTasks: number;
  stoppedRuns: number;
}

/**
 * Delete a project folder with all its tasks: 409 while any task is active unless `force`,
 * which stops them first (our loops, other owners' loops and their runs, via the runner).
 */
export async function deleteProject(
  ctx: ServerContext,
  projectId: string,
  force: boolean,
): Promise<DeletedProject> {
  parseProjectId(projectId);
  const project = ctx.index.projects.get(projectId);
  if (project === undefined) throw new NotFoundError('project not found');
  const tasks = [...project.tasks]
    .map((id) => ctx.index.task(projectId, id) ?? ctx.index.refreshTask(projectId, id))
    .filter((t): t is TaskEntry => t !== undefined);
  const active = tasks.filter((t) => isTaskActive(ctx, t));
  if (active.length > 0 && !force) {
    throw new ConflictError(
      `project ${projectId} has ${active.length} running task(s); stop them first or use force=true`,
    );
  }
  const stopped = await Promise.all(active.map((t) => stopTask(ctx, t)));
  // Our loops must have ended before their folders go, or they would write into them again.
  const loops = active.flatMap((t) => ownedLoops.get(`${t.projectId}/${t.taskId}`)?.done ?? []);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(loops),
    new Promise(
      (resolve) => (timer = setTimeout(resolve, ctx.config.defaults.stopGraceMs + 5_000)),
    ),
  ]);
  clearTimeout(timer);
  for (const task of tasks) await deleteTaskFolder(task.dir, { force: true });
  const dir = projectDir(ctx.root, projectId);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    throw fsError('delete', dir, error);
  }
  ctx.index.reconcile();
  return { deletedTasks: tasks.length, stoppedRuns: stopped.reduce((a, b) => a + b, 0) };
}

export function taskPrompt(task: TaskEntry): string {
  return readTaskPrompt(task.dir) ?? '';
}

export function auditTask(
  ctx: ServerContext,
  request: FastifyRequest,
  action: 'task.create' | 'task.stop' | 'task.resume' | 'task.delete',
  task: { projectId: string; taskId: string },
  agent?: string,
): void {
  ctx.audit.record({
    action,
    user: request.user,
    request_id: request.id,
    remote_addr: request.ip,
    project_id: task.projectId,
    task_id: task.taskId,
    agent,
  });
}
