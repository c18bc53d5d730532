/**
 * Waiting for a task to finish over the API: poll its summary with a deadline, show a
 * one-line progress display on a terminal, and turn the outcome into our error families so
 * `--wait` exits 0 (done), 1 (failed/timeout/crashed/stopped), 2 (permanent) or 3 (config).
 */
import type { ApiClient } from '../../client/api-client.js';
import type { TaskDetail } from '../../client/api-types.js';
import {
  ConfigError,
  PermanentError,
  RetriableError,
  isConductorError,
  type ConductorError,
} from '../../core/errors.js';
import { formatDuration } from './conductor-format.js';

const TERMINAL = new Set(['done', 'failed', 'stopped']);
const POLL_MS = 400;
/** A server restart while we wait is survivable; a server gone for longer is not. */
const UNREACHABLE_GRACE_MS = 30_000;
/** `idle` = no loop drives the task; brief idles happen between a create and its first run. */
const IDLE_GRACE_MS = 10_000;

export function isTerminal(task: { status: string }): boolean {
  return TERMINAL.has(task.status);
}

export interface WaitOptions {
  /** Give up after this long (exit 1); undefined = wait forever. */
  timeoutMs?: number | undefined;
  /** Called after each poll (progress display). */
  onPoll?: (task: TaskDetail) => void;
  /** Also return early, before the task ends, once this holds (follow: a new run). */
  until?: (task: TaskDetail) => boolean;
}

export async function waitForTask(
  client: ApiClient,
  projectId: string,
  taskId: string,
  options: WaitOptions = {},
): Promise<TaskDetail> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let failingSince: number | undefined;
  let idleSince: number | undefined;
  for (;;) {
    let task: TaskDetail | undefined;
    try {
      task = await client.task(projectId, taskId);
      failingSince = undefined;
    } catch (error) {
      if (!isConductorError(error) || error.family !== 'retriable') throw error;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > UNREACHABLE_GRACE_MS) throw error;
    }
    if (task !== undefined) {
      options.onPoll?.(task);
      if (isTerminal(task) || options.until?.(task) === true) return task;
      idleSince = task.status === 'idle' ? (idleSince ?? Date.now()) : undefined;
      if (idleSince !== undefined && Date.now() - idleSince >= IDLE_GRACE_MS) return task;
    }
    if (Date.now() >= deadline) {
      throw new RetriableError(
        'WAIT_TIMEOUT',
        `gave up waiting for task ${projectId}/${taskId} after ${formatDuration(options.timeoutMs)} (status ${task?.status ?? 'unknown'}); it keeps running on the server`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** undefined when the task is done, else the error that says how it ended. */
export function taskOutcomeError(task: TaskDetail): ConductorError | undefined {
  if (task.status === 'done') return undefined;
  const name = `${task.project_id}/${task.task_id}`;
  if (task.status === 'stopped') {
    return new RetriableError('TASK_STOPPED', `task ${name} was stopped`);
  }
  if (task.status === 'idle') {
    return new RetriableError(
      'TASK_IDLE',
      `task ${name} is idle: no loop is running it (conductor task resume ${task.project_id} ${task.task_id})`,
    );
  }
  const runs = task.runs ?? [];
  const last = runs[runs.length - 1];
  const runText =
    last === undefined
      ? ''
      : `: run ${last.run_id} ${last.status}${last.exit_code !== undefined && last.exit_code !== null ? ` (exit code ${last.exit_code})` : ''}${last.error_summary !== undefined && last.error_summary !== '' ? `: ${last.error_summary}` : ''}`;
  const message = `task ${name} ${task.status}${runText}`;
  if (last?.status === 'failed' && last.exit_code === 3)
    return new ConfigError('TASK_FAILED', message);
  if (last?.status === 'failed' && last.exit_code === 2)
    return new PermanentError('TASK_FAILED', message);
  return new RetriableError('TASK_FAILED', message);
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** One rewritten stderr line while waiting, only when stderr is a terminal. */
export class Progress {
  private frame = 0;
  private readonly startedAt = Date.now();
  private shown = false;
  private readonly enabled: boolean;

  constructor(enabled = process.stderr.isTTY) {
    this.enabled = enabled;
    // Ctrl-C must not leave a half-drawn line behind: clear it, then die of SIGINT as usual.
    if (enabled) process.once('SIGINT', this.onInterrupt);
  }

  private readonly onInterrupt = (): void => {
    this.clear();
    process.kill(process.pid, 'SIGINT');
  };

  update(task: TaskDetail): void {
    if (!this.enabled) return;
    const runs = task.run_count ?? task.runs?.length ?? 0;
    const latest =
      task.latest_run_status !== undefined && runs > 0
        ? `, run ${runs} ${task.latest_run_status}`
        : '';
    const spin = FRAMES[this.frame++ % FRAMES.length] ?? '';
    const elapsed = formatDuration(Date.now() - this.startedAt);
    process.stderr.write(
      `\r\x1b[K${spin} ${task.project_id}/${task.task_id}: ${task.status}${latest} (${elapsed})`,
    );
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
    process.removeListener('SIGINT', this.onInterrupt);
  }
}
