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
import {
  ConflictError,
  isConductorError,
  NotFoundError,
  ValidationError,
  type ExitCode,
} from '../core/errors.js';
import { formatPreciseTimestamp, parseProjectId, parseTaskId } from '../core/ids.js';
import { FILES, findRunDir, taskDir as taskDirOf, type StorageLayout } from '../core/layout.js';
import { isTerminalStatus, tryReadRunInfo } from '../core/run-info.js';
import { latestRunDir } from '../core/store.js';
import {
  clearStopRequested,
  ensureTaskPrompt,
  isActiveLoopStatus,
  isDone,
  isLoopOwnerAlive,
  newLoopState,
  readCancelled,
  readLoopState,
  readStopRequested,
  readTaskConfig,
  readTaskPrompt,
  touchDir,
  writeLoopState,
  writeTaskConfig,
  type LoopStatus,
  type TaskLoopState,
} from '../core/task-files.js';
import type { AgentConfig } from './agents/index.js';
import {
  assertNoDependencyCycle,
  normalizeDependsOn,
  waitForDependencies,
} from './dependencies.js';
import { finishDone } from './task-done.js';
import { adoptRun, runJob, type JobResult } from './job.js';
import { selectAgent } from './agent-select.js';
import { consumeRunQuota, DEFAULT_REQUESTS_PER_DAY } from './rate-limit.js';
import { canRetry, nextStep, retryDelayMs, sleepUnlessAborted, type Outcome } from './retry.js';
import { postRunEvent } from './run-events.js';

export const DEFAULT_MAX_RESTARTS = 100;
export const DEFAULT_RESUME_MAX_RESTARTS = 3;
export const DEFAULT_RESTART_DELAY_MS = 1_000;

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

/** Where the loop ends and why; `loopEnd` turns it into the final state. */
interface Ending {
  status: LoopStatus;
  exitCode: ExitCode;
  errorSummary?: string;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function outcomeOfError(error: unknown): Outcome {
  return isConductorError(error) ? error.exitCode : 2;
}

/** Validate inputs and settle prompt and dependencies before the loop owns anything. */
function prepareTask(opts: TaskOptions): { taskDir: string; prompt: string; dependsOn: string[] } {
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
  const { taskDir, prompt, dependsOn } = prepareTask(opts);
  const maxRestarts = opts.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  const retryPolicy = {
    maxRetries: opts.maxRetries ?? opts.agent.maxRetries,
    baseDelayMs: opts.retryBaseDelayMs ?? opts.agent.retryBaseDelayMs,
  };
  const restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
  const state = newLoopState({
    agent: opts.agent.name,
    max_restarts: maxRestarts,
    restart_delay_ms: restartDelayMs,
    max_retries: retryPolicy.maxRetries,
    retry_base_delay_ms: retryPolicy.baseDelayMs,
    ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
    ...(opts.continueFrom !== undefined
      ? {
          attempt: opts.continueFrom.attempt,
          restarts: opts.continueFrom.restarts,
          retries: opts.continueFrom.retries,
        }
      : {}),
  });
  const record = (fields: Partial<TaskLoopState>): void => {
    Object.assign(state, fields, { updated_at: formatPreciseTimestamp() });
    if (fields.error_summary === undefined && 'error_summary' in fields) delete state.error_summary;
    writeLoopState(taskDir, state);
    opts.onState?.({ ...state });
  };
  // Bus messages are notifications: postRunEvent logs a failed append instead of throwing.
  const post = (type: string, body: string, runId = ''): Promise<void> =>
    postRunEvent({ taskDir, projectId: opts.projectId, taskId: opts.taskId, runId }, type, body);
  const runs: JobResult[] = [];
  const finish = (ending: Ending): TaskResult => {
    record({
      status: ending.status,
      exit_code: ending.exitCode,
      ...(ending.errorSummary !== undefined ? { error_summary: ending.errorSummary } : {}),
    });
    // Task-level writes are done: make the newest run folder first for `ls -t` again.
    const latest = latestRunDir(taskDir);
    if (latest !== undefined) touchDir(latest.runDir);
    return {
      projectId: opts.projectId,
      taskId: opts.taskId,
      taskDir,
      status: ending.status,
      exitCode: ending.exitCode,
      ...(ending.errorSummary !== undefined ? { errorSummary: ending.errorSummary } : {}),
      runs,
      restarts: state.restarts,
      retries: state.retries,
    };
  };
  const stopped = (why: string): TaskResult =>
    finish({ status: 'stopped', exitCode: 1, errorSummary: why });

  record({ status: 'queued' });
  if (!isDone(taskDir) && dependsOn.length > 0) {
    record({ status: 'blocked' });
    try {
      const waited = await waitForDependencies({
        root: opts.root,
        projectId: opts.projectId,
        dependsOn,
        ...(opts.dependencyPollMs !== undefined ? { pollMs: opts.dependencyPollMs } : {}),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        isSelfDone: () => isDone(taskDir),
        onPending: (pending) => {
          void post(
            'PROGRESS',
            `waiting for dependencies: ${pending.map((p) => `${p.id} (${p.reason})`).join(', ')}`,
          );
        },
      });
      if (waited === 'aborted') return stopped('stopped while waiting for dependencies');
      if (waited === 'satisfied') await post('FACT', 'dependencies satisfied; starting task');
    } catch (error) {
      const summary = errorMessage(error);
      await post('ERROR', `task failed: ${summary}`);
      return finish({ status: 'failed', exitCode: outcomeOfError(error), errorSummary: summary });
    }
  }

  let previousRunId =
    opts.continueFrom?.previousRunId ?? (opts.resume ? latestRunDir(taskDir)?.runId : undefined);
  for (;;) {
    if (isDone(taskDir)) break;
    if (opts.signal?.aborted) return stopped('stopped');
    if (readStopRequested(taskDir) !== undefined) {
      await post('INFO', 'task stopped: STOP-REQUESTED present');
      return stopped('stop requested');
    }
    const cancelled = readCancelled(taskDir);
    if (cancelled !== undefined) {
      await post('INFO', `task cancelled: ${cancelled.reason}`);
      return finish({
        status: 'stopped',
        exitCode: 2,
        errorSummary: `cancelled: ${cancelled.reason}`,
      });
    }
    try {
      consumeRunQuota({
        root: opts.root,
        agent: opts.agent.name,
        requestsPerDay: opts.requestsPerDay ?? DEFAULT_REQUESTS_PER_DAY,
      });
    } catch (error) {
      const summary = errorMessage(error);
      await post('ERROR', `task failed: ${summary}`);
      return finish({ status: 'failed', exitCode: outcomeOfError(error), errorSummary: summary });
    }

    const attempt = state.attempt;
    await post('INFO', `starting root agent (restart #${attempt})`);
    record({ status: 'running', attempt: attempt + 1 });
    let result: JobResult | undefined;
    let failure: { outcome: Outcome; summary: string } | undefined;
    try {
      result = await runJob({
        root: opts.root,
        projectId: opts.projectId,
        taskId: opts.taskId,
        agent: opts.agent,
        prompt,
        attempt: opts.resume === true ? attempt + 1 : attempt,
        ...(previousRunId !== undefined ? { previousRunId } : {}),
        ...(opts.parentRunId !== undefined ? { parentRunId: opts.parentRunId } : {}),
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        ...(opts.stopGraceMs !== undefined ? { stopGraceMs: opts.stopGraceMs } : {}),
        ...(opts.maxConcurrent !== undefined ? { maxConcurrent: opts.maxConcurrent } : {}),
        ...(opts.conductorUrl !== undefined ? { conductorUrl: opts.conductorUrl } : {}),
        ...(opts.layout !== undefined ? { layout: opts.layout } : {}),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        onCreated: (run) => record({ current_run_id: run.runId }),
        onStarted: (run) => opts.onRunStarted?.({ ...run, attempt }),
      });
      runs.push(result);
      previousRunId = result.runId;
      if (result.outcome !== 0) {
        failure = {
          outcome: result.outcome,
          summary: result.errorSummary ?? `exit ${result.exitCode}`,
        };
      }
    } catch (error) {
      // The run could not start (missing executable, bad cwd, ...): no run to retry into.
      failure = { outcome: outcomeOfError(error), summary: errorMessage(error) };
    }
    if (failure !== undefined) {
      await post(
        'WARNING',
        `root agent failed on restart #${attempt}: ${failure.summary}`,
        result?.runId,
      );
    }
    if (opts.signal?.aborted) return stopped('stopped');
    // `run-agent stop` on the task: the run just ended stopped; do not retry it first.
    if (!isDone(taskDir) && readStopRequested(taskDir) !== undefined) {
      await post('INFO', 'task stopped: STOP-REQUESTED present');
      return stopped('stop requested');
    }

    const step = nextStep(failure?.outcome ?? 0, isDone(taskDir));
    if (step === 'done') break;
    if (step === 'restart') {
      if (state.restarts >= maxRestarts) {
        const summary = `max restarts (${maxRestarts}) exceeded`;
        await post('ERROR', `task failed: ${summary}`);
        return finish({ status: 'failed', exitCode: 1, errorSummary: summary });
      }
      record({ restarts: state.restarts + 1, retries: 0 });
      if (!(await sleepUnlessAborted(restartDelayMs, opts.signal))) return stopped('stopped');
      continue;
    }
    const summary = failure?.summary ?? 'failed';
    if (step === 'retry') {
      if (!canRetry(retryPolicy, state.retries)) {
        const why = `retries exhausted (${retryPolicy.maxRetries}): ${summary}`;
        await post('ERROR', `task failed: ${why}`);
        return finish({ status: 'failed', exitCode: 1, errorSummary: why });
      }
      const retry = state.retries + 1;
      const delayMs = retryDelayMs(retryPolicy, retry);
      record({ retries: retry });
      await post(
        'INFO',
        `retrying in ${delayMs / 1000}s (retry ${retry}/${retryPolicy.maxRetries})`,
      );
      if (!(await sleepUnlessAborted(delayMs, opts.signal))) return stopped('stopped');
      continue;
    }
    await post('ERROR', `task failed: ${summary}`);
    return finish({ status: 'failed', exitCode: step === 'config' ? 3 : 2, errorSummary: summary });
  }

  await finishDone(opts, post);
  return finish({ status: 'done', exitCode: 0 });
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
      // A run that never started (queued) belongs to nobody now: record it as crashed.
      if (info !== undefined && !isTerminalStatus(info.status) && info.pgid > 1) {
        await adoptRun(runDir, opts.signal !== undefined ? { signal: opts.signal } : {});
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
