/**
 * The one place the server calls the runner's task loop (src/runner/task-loop.ts): start a
 * loop in-process, and after a restart adopt loops whose owner died. Options map here.
 */
import type { AgentConfig } from '../core/config.js';
import { formatPreciseTimestamp } from '../core/ids.js';
import { isActiveLoopStatus, isLoopOwnerAlive, writeLoopState } from '../core/task-files.js';
import { findRunDir } from '../core/layout.js';
import { adoptTaskLoop, runTask, type TaskOptions, type TaskResult } from '../runner/task-loop.js';
import type { ServerContext } from './context.js';

export interface LoopRequest {
  projectId: string;
  taskId: string;
  agent: AgentConfig;
  prompt: string;
  cwd?: string | undefined;
  dependsOn?: string[] | undefined;
  timeoutMs?: number | undefined;
  maxRestarts?: number | undefined;
  /** true for `resume`: restart prefix, restart counters reset. */
  resume?: boolean;
}

export interface LoopHooks {
  /** A run folder exists for the loop (first seen in its state). */
  onRunCreated(runId: string, runDir: string): void;
  onRunStarted(runId: string, runDir: string): void;
  /** The loop waits for its dependencies. */
  onBlocked(): void;
}

export interface LoopResult {
  status: string;
  reason?: string;
}

function common(ctx: ServerContext, signal: AbortSignal): Partial<TaskOptions> {
  const d = ctx.config.defaults;
  return {
    root: ctx.root,
    signal,
    maxConcurrent: d.maxConcurrentRuns,
    minFreeBytes: ctx.config.storage.minFreeBytes,
    maxLogBytes: ctx.config.storage.maxLogBytes,
    stopGraceMs: d.stopGraceMs,
    restartDelayMs: d.restartDelayMs,
    childWaitTimeoutMs: d.childWaitTimeoutMs,
    layout: ctx.config.storage.layout,
    requestsPerDay: ctx.config.rateLimits.perAgent.requestsPerDay,
    ...(ctx.options.publicUrl !== undefined ? { conductorUrl: ctx.options.publicUrl } : {}),
  };
}

function resultOf(result: TaskResult): LoopResult {
  return {
    status: result.status,
    ...(result.errorSummary !== undefined ? { reason: result.errorSummary.slice(0, 60) } : {}),
  };
}

export async function startTaskLoop(
  ctx: ServerContext,
  request: LoopRequest,
  signal: AbortSignal,
  hooks: LoopHooks,
): Promise<LoopResult> {
  const seen = new Set<string>();
  const result = await runTask({
    ...common(ctx, signal),
    root: ctx.root,
    projectId: request.projectId,
    taskId: request.taskId,
    agent: request.agent,
    prompt: request.prompt,
    ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
    ...(request.dependsOn !== undefined && request.dependsOn.length > 0
      ? { dependsOn: request.dependsOn }
      : {}),
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    ...(request.maxRestarts !== undefined ? { maxRestarts: request.maxRestarts } : {}),
    ...(request.resume === true ? { resume: true } : {}),
    onState: (state) => {
      if (state.status === 'blocked') hooks.onBlocked();
      const runId = state.current_run_id;
      if (runId === undefined || seen.has(runId)) {
        ctx.index.refreshTask(request.projectId, request.taskId);
        return;
      }
      const task = ctx.index.task(request.projectId, request.taskId);
      const runDir = task !== undefined ? findRunDir(task.dir, runId) : undefined;
      if (runDir === undefined) return;
      seen.add(runId);
      hooks.onRunCreated(runId, runDir);
    },
    onRunStarted: (run) => hooks.onRunStarted(run.runId, run.runDir),
  });
  return resultOf(result);
}

/**
 * After a restart: adopt every loop whose owner died. A loop that cannot continue (its
 * agent is gone from config, ...) is marked failed with the reason, never left "running".
 * Returns the run ids those loops adopt, so the caller does not adopt them twice.
 */
export function adoptLoops(
  ctx: ServerContext,
  register: (key: string, controller: AbortController, done: Promise<void>) => void,
): Set<string> {
  const adoptedRuns = new Set<string>();
  for (const task of ctx.index.tasks.values()) {
    const state = task.loop;
    if (state === undefined || !isActiveLoopStatus(state.status) || isLoopOwnerAlive(state))
      continue;
    if (state.current_run_id !== undefined) adoptedRuns.add(state.current_run_id);
    const controller = new AbortController();
    const key = `${task.projectId}/${task.taskId}`;
    const done = adoptTaskLoop({
      ...common(ctx, controller.signal),
      root: ctx.root,
      projectId: task.projectId,
      taskId: task.taskId,
      config: ctx.config,
    })
      .then((result) => {
        ctx.logger.info(
          { task_id: task.taskId, status: result.status, exit_code: result.exitCode },
          'adopted task loop ended',
        );
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        ctx.logger.warn(
          { task_id: task.taskId, err: error },
          'cannot adopt task loop; marking it failed',
        );
        try {
          writeLoopState(task.dir, {
            ...state,
            status: 'failed',
            exit_code: 1,
            updated_at: formatPreciseTimestamp(),
            error_summary: `server could not adopt the loop: ${message}`.slice(0, 300),
          });
        } catch {
          // the task folder is gone
        }
      })
      .finally(() => ctx.index.refreshTask(task.projectId, task.taskId));
    register(key, controller, done);
  }
  return adoptedRuns;
}
