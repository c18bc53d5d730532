/**
 * The steps of one task loop (used by runTask in task-loop.ts): wait for dependencies, then
 * passes of check markers -> run once -> decide (restart, retry with backoff, stop) until DONE
 * or an ending; each transition recorded in TASK-LOOP.yaml.
 */
import { isConductorError, type ExitCode } from '../core/errors.js';
import { formatPreciseTimestamp } from '../core/ids.js';
import { latestRunDir } from '../core/store.js';
import {
  isDone,
  newLoopState,
  readCancelled,
  readStopRequested,
  touchDir,
  writeLoopState,
  type LoopStatus,
  type TaskLoopState,
} from '../core/task-files.js';
import { waitForDependencies } from './dependencies.js';
import { runJob, type JobResult } from './job.js';
import { consumeRunQuota, DEFAULT_REQUESTS_PER_DAY } from './rate-limit.js';
import {
  canRetry,
  nextStep,
  retryDelayMs,
  sleepUnlessAborted,
  type NextStep,
  type Outcome,
  type RetryPolicy,
} from './retry.js';
import { postRunEvent } from './run-events.js';
import { finishDone } from './task-done.js';
import type { PreparedTask, TaskOptions, TaskResult } from './task-loop.js';

export const DEFAULT_MAX_RESTARTS = 100;
export const DEFAULT_RESTART_DELAY_MS = 1_000;

/** Where the loop ends and why; `finish` turns it into the final state. */
export interface Ending {
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

/** What one pass of the loop decided: end the loop, go round again, or handle DONE. */
type Next = Ending | 'again' | 'done';

/** One loop's state and steps; `run` is the whole Ralph loop. */
export class TaskLoop {
  private readonly state: TaskLoopState;
  private readonly runs: JobResult[] = [];
  private readonly retryPolicy: RetryPolicy;
  private readonly restartDelayMs: number;
  private readonly maxRestarts: number;
  private previousRunId: string | undefined;

  constructor(
    private readonly opts: TaskOptions,
    private readonly task: PreparedTask,
  ) {
    this.maxRestarts = opts.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    this.retryPolicy = {
      maxRetries: opts.maxRetries ?? opts.agent.maxRetries,
      baseDelayMs: opts.retryBaseDelayMs ?? opts.agent.retryBaseDelayMs,
    };
    this.restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.previousRunId =
      opts.continueFrom?.previousRunId ??
      (opts.resume === true ? latestRunDir(task.taskDir)?.runId : undefined);
    this.state = newLoopState({
      agent: opts.agent.name,
      max_restarts: this.maxRestarts,
      restart_delay_ms: this.restartDelayMs,
      max_retries: this.retryPolicy.maxRetries,
      retry_base_delay_ms: this.retryPolicy.baseDelayMs,
      ...(task.dependsOn.length > 0 ? { depends_on: task.dependsOn } : {}),
      ...(opts.continueFrom !== undefined
        ? {
            attempt: opts.continueFrom.attempt,
            restarts: opts.continueFrom.restarts,
            retries: opts.continueFrom.retries,
          }
        : {}),
    });
  }

  async run(): Promise<TaskResult> {
    this.record({ status: 'queued' });
    try {
      const blocked = await this.waitForDependencies();
      if (blocked !== undefined) return this.finish(blocked);
      for (;;) {
        const next = await this.pass();
        if (next === 'again') continue;
        if (next !== 'done') return this.finish(next);
        await finishDone(this.opts, (type, body) => this.post(type, body));
        return this.finish({ status: 'done', exitCode: 0 });
      }
    } catch (error) {
      // Unexpected (a file we cannot write...): end recorded, never left `running`.
      const summary = errorMessage(error);
      await this.post('ERROR', `task failed: ${summary}`);
      return this.finish({
        status: 'failed',
        exitCode: outcomeOfError(error),
        errorSummary: summary,
      });
    }
  }

  private record(fields: Partial<TaskLoopState>): void {
    Object.assign(this.state, fields, { updated_at: formatPreciseTimestamp() });
    writeLoopState(this.task.taskDir, this.state);
    this.opts.onState?.({ ...this.state });
  }

  /** Bus messages are notifications: postRunEvent logs a failed append instead of throwing. */
  private post(type: string, body: string, runId = ''): Promise<void> {
    const { projectId, taskId } = this.opts;
    return postRunEvent({ taskDir: this.task.taskDir, projectId, taskId, runId }, type, body);
  }

  private finish(ending: Ending): TaskResult {
    this.record({
      status: ending.status,
      exit_code: ending.exitCode,
      ...(ending.errorSummary !== undefined ? { error_summary: ending.errorSummary } : {}),
    });
    // Task-level writes are done: make the newest run folder first for `ls -t` again.
    const latest = latestRunDir(this.task.taskDir);
    if (latest !== undefined) touchDir(latest.runDir);
    return {
      projectId: this.opts.projectId,
      taskId: this.opts.taskId,
      taskDir: this.task.taskDir,
      status: ending.status,
      exitCode: ending.exitCode,
      ...(ending.errorSummary !== undefined ? { errorSummary: ending.errorSummary } : {}),
      runs: this.runs,
      restarts: this.state.restarts,
      retries: this.state.retries,
    };
  }

  private async failed(exitCode: ExitCode, summary: string): Promise<Ending> {
    await this.post('ERROR', `task failed: ${summary}`);
    return { status: 'failed', exitCode, errorSummary: summary };
  }

  /** Blocked until every dependency is DONE; an Ending when the loop must not start. */
  private async waitForDependencies(): Promise<Ending | undefined> {
    const { opts, task } = this;
    if (task.dependsOn.length === 0 || isDone(task.taskDir)) return undefined;
    this.record({ status: 'blocked' });
    let waited;
    try {
      waited = await waitForDependencies({
        root: opts.root,
        projectId: opts.projectId,
        dependsOn: task.dependsOn,
        ...(opts.dependencyPollMs !== undefined ? { pollMs: opts.dependencyPollMs } : {}),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        isSelfDone: () => isDone(task.taskDir),
        onPending: (pending) => {
          const list = pending.map((p) => `${p.id} (${p.reason})`).join(', ');
          void this.post('PROGRESS', `waiting for dependencies: ${list}`);
        },
      });
    } catch (error) {
      return this.failed(outcomeOfError(error), errorMessage(error));
    }
    if (waited === 'aborted') return stopped('stopped while waiting for dependencies');
    if (waited === 'satisfied') await this.post('FACT', 'dependencies satisfied; starting task');
    return undefined;
  }

  /** Markers and limits checked before each start. */
  private async preflight(): Promise<Next | undefined> {
    const { taskDir } = this.task;
    if (isDone(taskDir)) return 'done';
    if (this.opts.signal?.aborted === true) return stopped('stopped');
    if (readStopRequested(taskDir) !== undefined) {
      await this.post('INFO', 'task stopped: STOP-REQUESTED present');
      return stopped('stop requested');
    }
    const cancelled = readCancelled(taskDir);
    if (cancelled !== undefined) {
      await this.post('INFO', `task cancelled: ${cancelled.reason}`);
      return { status: 'stopped', exitCode: 2, errorSummary: `cancelled: ${cancelled.reason}` };
    }
    try {
      consumeRunQuota({
        root: this.opts.root,
        agent: this.opts.agent.name,
        requestsPerDay: this.opts.requestsPerDay ?? DEFAULT_REQUESTS_PER_DAY,
      });
    } catch (error) {
      return this.failed(outcomeOfError(error), errorMessage(error));
    }
    return undefined;
  }

  /** One pass: checks, one run, and what to do next. */
  private async pass(): Promise<Next> {
    const blocked = await this.preflight();
    if (blocked !== undefined) return blocked;
    const attempt = this.state.attempt;
    await this.post('INFO', `starting root agent (restart #${attempt})`);
    this.record({ status: 'running', attempt: attempt + 1 });
    const failure = await this.runOnce(attempt);
    if (this.opts.signal?.aborted === true) return stopped('stopped');
    const { taskDir } = this.task;
    // `run-agent stop` on the task: the run just ended stopped; do not retry it first.
    if (!isDone(taskDir) && readStopRequested(taskDir) !== undefined) {
      await this.post('INFO', 'task stopped: STOP-REQUESTED present');
      return stopped('stop requested');
    }
    return this.decide(nextStep(failure?.outcome ?? 0, isDone(taskDir)), failure?.summary);
  }

  /** Start one run and wait for it; the failure, if it did not succeed. */
  private async runOnce(
    attempt: number,
  ): Promise<{ outcome: Outcome; summary: string } | undefined> {
    const { opts } = this;
    let result: JobResult | undefined;
    let failure: { outcome: Outcome; summary: string } | undefined;
    try {
      result = await runJob({
        root: opts.root,
        projectId: opts.projectId,
        taskId: opts.taskId,
        agent: opts.agent,
        prompt: this.task.prompt,
        attempt: opts.resume === true ? attempt + 1 : attempt,
        ...(this.previousRunId !== undefined ? { previousRunId: this.previousRunId } : {}),
        ...(opts.parentRunId !== undefined ? { parentRunId: opts.parentRunId } : {}),
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        ...(opts.stopGraceMs !== undefined ? { stopGraceMs: opts.stopGraceMs } : {}),
        ...(opts.maxConcurrent !== undefined ? { maxConcurrent: opts.maxConcurrent } : {}),
        ...(opts.minFreeBytes !== undefined ? { minFreeBytes: opts.minFreeBytes } : {}),
        ...(opts.maxLogBytes !== undefined ? { maxLogBytes: opts.maxLogBytes } : {}),
        ...(opts.conductorUrl !== undefined ? { conductorUrl: opts.conductorUrl } : {}),
        ...(opts.layout !== undefined ? { layout: opts.layout } : {}),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        onCreated: (run) => this.record({ current_run_id: run.runId }),
        onStarted: (run) => opts.onRunStarted?.({ ...run, attempt }),
      });
      this.runs.push(result);
      this.previousRunId = result.runId;
      if (result.outcome !== 0) {
        const summary = result.errorSummary ?? `exit ${result.exitCode}`;
        failure = { outcome: result.outcome, summary };
      }
    } catch (error) {
      // The run could not start (missing executable, bad cwd, ...): no run to retry into.
      failure = { outcome: outcomeOfError(error), summary: errorMessage(error) };
    }
    if (failure !== undefined) {
      const body = `root agent failed on restart #${attempt}: ${failure.summary}`;
      await this.post('WARNING', body, result?.runId);
    }
    return failure;
  }

  /** Restart after success without DONE, retry with backoff, or stop (compat §8, seed). */
  private async decide(step: NextStep, summary = 'failed'): Promise<Next> {
    switch (step) {
      case 'done':
        return 'done';
      case 'restart':
        if (this.state.restarts >= this.maxRestarts) {
          return this.failed(1, `max restarts (${this.maxRestarts}) exceeded`);
        }
        this.record({ restarts: this.state.restarts + 1, retries: 0 });
        return (await sleepUnlessAborted(this.restartDelayMs, this.opts.signal))
          ? 'again'
          : stopped('stopped');
      case 'retry': {
        const policy = this.retryPolicy;
        if (!canRetry(policy, this.state.retries)) {
          return this.failed(1, `retries exhausted (${policy.maxRetries}): ${summary}`);
        }
        const retry = this.state.retries + 1;
        const delayMs = retryDelayMs(policy, retry);
        this.record({ retries: retry });
        await this.post(
          'INFO',
          `retrying in ${delayMs / 1000}s (retry ${retry}/${policy.maxRetries})`,
        );
        return (await sleepUnlessAborted(delayMs, this.opts.signal)) ? 'again' : stopped('stopped');
      }
      case 'permanent':
        return this.failed(2, summary);
      case 'config':
        return this.failed(3, summary);
    }
  }
}

function stopped(why: string): Ending {
  return { status: 'stopped', exitCode: 1, errorSummary: why };
}
