/**
 * The task loop (Ralph loop, compat.md §8 + the seed): one implementation used by
 * `run-agent task`, `resume` and the server. Before each start it checks DONE, stop and
 * cancel markers; it waits for dependencies; it runs one job at a time and decides from the
 * outcome: exit 0 without DONE restarts, exit 1 retries with exponential backoff, exit 2 and
 * 3 stop. DONE ends the loop after waiting for child runs and propagating the completion
 * FACT once. Every transition is recorded in TASK-LOOP.yaml so another process can adopt it.
 */
import { hostname } from 'node:os';
import type { ResolvedConfig } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError, type ExitCode } from '../core/errors.js';
import { parseProjectId, parseTaskId } from '../core/ids.js';
import { FILES, findRunDir, taskDir as taskDirOf, type StorageLayout } from '../core/layout.js';
import { isTerminalStatus, tryReadRunInfo } from '../core/run-info.js';
import {
  clearStopRequested,
  ensureTaskPrompt,
  isActiveLoopStatus,
  isLoopOwnerAlive,
  readCancelled,
  readLoopState,
  readStopRequested,
  readTaskConfig,
  readTaskPrompt,
  writeLoopState,
  writeTaskConfig,
  type LoopStatus,
  type TaskLoopState,
} from '../core/task-files.js';
import { selectAgent } from './agent-select.js';
import type { AgentConfig } from './agents/index.js';
import { assertNoDependencyCycle, normalizeDependsOn } from './dependencies.js';
import { finishRun } from './finish.js';
import { adoptRun, type JobResult } from './job.js';
import { backendOf } from './stop.js';
import { TaskLoop } from './task-loop-engine.js';

export { DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_DELAY_MS } from './task-loop-engine.js';
export const DEFAULT_RESUME_MAX_RESTARTS = 3;

export interface TaskOptions {
  root: string;
  projectId: string;
  taskId: string;
  agent: AgentConfig;
  /** The task prompt; default: TASK.md of an existing task. */
  prompt?: string;
  cwd?: string;
  /** `--depends-on`; undefined = TASK-CONFIG.yaml. Given lists are saved there. */
  dependsOn?: string[];
  dependencyPollMs?: number;
  maxRestarts?: number;
  restartDelayMs?: number;
  /** Retries after exit 1 (default: the agent's maxRetries, seed 3). */
  maxRetries?: number;
  /** First backoff; doubled per retry (default: the agent's retryBaseDelayMs, seed 2 s). */
  retryBaseDelayMs?: number;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  stopGraceMs?: number;
  childWaitTimeoutMs?: number;
  childPollMs?: number;
  maxConcurrent?: number;
  /** Passed to every run: refuse to start below this free space; cap log files. */
  minFreeBytes?: number;
  maxLogBytes?: number;
  conductorUrl?: string;
  layout?: StorageLayout;
  /** Recorded as parent_run_id of every run (a task started from inside an agent). */
  parentRunId?: string;
  /** `rate_limits.per_agent.requests_per_day` (default 1000; 0 = unlimited). */
  requestsPerDay?: number;
  /** Resume: the first run already gets the restart prefix and continues the last run. */
  resume?: boolean;
  /** Counters to continue from (adoption). */
  continueFrom?: Pick<TaskLoopState, 'attempt' | 'restarts' | 'retries'> & {
    previousRunId?: string;
  };
  /** Abort = stop the current run and end the loop as `stopped` (exit 1). */
  signal?: AbortSignal;
  onRunStarted?(run: { runId: string; runDir: string; pid: number; attempt: number }): void;
  onState?(state: TaskLoopState): void;
}

export interface TaskResult {
  projectId: string;
  taskId: string;
  taskDir: string;
  status: LoopStatus;
  /** 0 done, 1 retriable failure or stopped, 2 permanent, 3 configuration. */
  exitCode: ExitCode;
  errorSummary?: string;
  runs: JobResult[];
  restarts: number;
  retries: number;
}

/** Validate inputs and settle prompt and dependencies before the loop owns anything. */
export interface PreparedTask {
  taskDir: string;
  prompt: string;
  dependsOn: string[];
}

function prepareTask(opts: TaskOptions): PreparedTask {
  parseProjectId(opts.projectId);
  parseTaskId(opts.taskId);
  const taskDir = taskDirOf(opts.root, opts.projectId, opts.taskId);
  const prompt = opts.prompt ?? readTaskPrompt(taskDir);
  if (prompt === undefined || prompt.trim() === '') {
    throw new ValidationError(
      `no prompt for task ${opts.taskId}: use --prompt or --prompt-file (no TASK.md in ${taskDir})`,
    );
  }
  const dependsOn = normalizeDependsOn(
    opts.taskId,
    opts.dependsOn ?? readTaskConfig(taskDir).depends_on,
  );
  assertNoDependencyCycle(opts.root, opts.projectId, opts.taskId, dependsOn);
  if (opts.dependsOn !== undefined && opts.dependsOn.length > 0) {
    writeTaskConfig(taskDir, { depends_on: dependsOn });
  }
  const cancelled = readCancelled(taskDir);
  if (cancelled !== undefined) {
    throw new ValidationError(`task ${opts.taskId} is cancelled: ${cancelled.reason}`);
  }
  const running = readLoopState(taskDir);
  if (
    running !== undefined &&
    isActiveLoopStatus(running.status) &&
    running.owner_pid !== process.pid &&
    isLoopOwnerAlive(running)
  ) {
    throw new ConflictError(
      `task ${opts.taskId} is already running (loop pid ${running.owner_pid} on ${running.owner_host})`,
    );
  }
  if (readStopRequested(taskDir)?.permanent === true) {
    throw new ValidationError(
      `task ${opts.taskId} has a permanent stop request (STOP-REQUESTED); resume it to run again`,
    );
  }
  // A plain STOP-REQUESTED stopped the previous loop; starting a new one answers it. An
  // adopted loop keeps it: the stop was meant for the loop we continue.
  if (opts.continueFrom === undefined) clearStopRequested(taskDir);
  ensureTaskPrompt(taskDir, prompt);
  return { taskDir, prompt, dependsOn };
}

/** Run the task loop to its end. Throws only for invalid input found before it starts. */
export async function runTask(opts: TaskOptions): Promise<TaskResult> {
  return new TaskLoop(opts, prepareTask(opts)).run();
}

export interface AdoptTaskOptions extends Omit<
  TaskOptions,
  'agent' | 'continueFrom' | 'resume' | 'dependsOn' | 'maxRestarts'
> {
  /** The agent to continue with; default: the loop's agent resolved through `config`. */
  agent?: AgentConfig;
  config?: ResolvedConfig;
}

/**
 * Continue a loop whose owner process died (the server after a restart): take ownership,
 * finish the run it was supervising from disk, then go on with the same counters and limits.
 */
export async function adoptTaskLoop(opts: AdoptTaskOptions): Promise<TaskResult> {
  const taskDir = taskDirOf(opts.root, opts.projectId, opts.taskId);
  const state = readLoopState(taskDir);
  if (state === undefined) {
    throw new NotFoundError(`task ${opts.taskId} has no loop state (${FILES.taskLoop})`);
  }
  if (!isActiveLoopStatus(state.status)) {
    throw new ConflictError(`task ${opts.taskId} loop already ended (${state.status})`);
  }
  if (isLoopOwnerAlive(state) && state.owner_pid !== process.pid) {
    throw new ConflictError(
      `task ${opts.taskId} loop is owned by live process ${state.owner_pid} on ${state.owner_host}`,
    );
  }
  const agent = opts.agent ?? selectAgent(state.agent, opts.config);
  writeLoopState(taskDir, { ...state, owner_pid: process.pid, owner_host: hostname() });
  let previousRunId: string | undefined;
  if (state.current_run_id !== undefined) {
    const runDir = findRunDir(taskDir, state.current_run_id);
    if (runDir !== undefined) {
      previousRunId = state.current_run_id;
      const info = tryReadRunInfo(runDir);
      if (info !== undefined && !isTerminalStatus(info.status)) {
        if (info.pgid > 1) {
          await adoptRun(runDir, opts.signal !== undefined ? { signal: opts.signal } : {});
        } else {
          // Still queued when its owner died: nobody can start it now; record it as crashed.
          await finishRun(runDir, { kind: 'vanished' }, backendOf(info.agent));
        }
      }
    }
  }
  return runTask({
    ...opts,
    agent,
    dependsOn: state.depends_on ?? [],
    maxRestarts: state.max_restarts,
    restartDelayMs: opts.restartDelayMs ?? state.restart_delay_ms,
    maxRetries: opts.maxRetries ?? state.max_retries,
    retryBaseDelayMs: opts.retryBaseDelayMs ?? state.retry_base_delay_ms,
    continueFrom: {
      attempt: state.attempt,
      restarts: state.restarts,
      retries: state.retries,
      ...(previousRunId !== undefined ? { previousRunId } : {}),
    },
  });
}
