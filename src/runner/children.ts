/**
 * Child runs of a task (compat.md §8 DONE handling): runs anywhere in the project whose
 * `parent_run_id` is one of this task's runs, still `running` with a live process group.
 * When an agent writes DONE while children it started are still working, the loop waits for
 * them (up to the child wait timeout) before it reports the task complete.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FILES, taskDir } from '../core/layout.js';
import { isTerminalStatus, tryReadRunInfo } from '../core/run-info.js';
import { listRunDirs, listTasks } from '../core/store.js';
import { sleepUnlessAborted } from './retry.js';
import { isGroupAlive, isProcessRunning } from './terminate.js';

export const DEFAULT_CHILD_WAIT_TIMEOUT_MS = 300_000;
export const DEFAULT_CHILD_POLL_MS = 1_000;

export interface ChildRun {
  runId: string;
  taskId: string;
  runDir: string;
  parentRunId: string;
  /**
   * `run`: a child run (parent_run_id). `processes`: one of this task's finished runs still has
   * live processes in its group, e.g. a `run-agent task ... &` the agent started that has not
   * recorded its own run yet.
   */
  kind: 'run' | 'processes';
}

/** How long after a run ended its leftover processes still count as children. */
const LEFTOVER_WINDOW_MS = 15 * 60_000;
const WRAPPER_EXIT_GRACE_MS = 2_000;

/** This task's runs that ended recently; an old pgid may belong to an unrelated group by now. */
function recentFinishedRuns(
  own: readonly { runId: string; runDir: string }[],
): { runId: string; runDir: string; pgid: number }[] {
  const now = Date.now();
  const out: { runId: string; runDir: string; pgid: number }[] = [];
  for (const { runId, runDir } of own) {
    const info = tryReadRunInfo(runDir);
    if (info === undefined || !isTerminalStatus(info.status) || info.pgid <= 1) continue;
    const ended = Date.parse(info.end_time);
    if (Number.isFinite(ended) && now - ended <= LEFTOVER_WINDOW_MS) {
      out.push({ runId, runDir, pgid: info.pgid });
    }
  }
  return out;
}

/**
 * A run is recorded finished as soon as its wrapper (the group leader) has written the exit
 * status, a moment before the wrapper itself exits. Give those leaders that moment, so the
 * wrapper is not mistaken for a process the run left behind.
 */
async function letWrappersExit(root: string, projectId: string, taskId: string): Promise<void> {
  const own = listRunDirs(taskDir(root, projectId, taskId));
  const deadline = Date.now() + WRAPPER_EXIT_GRACE_MS;
  for (const { pgid } of recentFinishedRuns(own)) {
    while (isProcessRunning(pgid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Active child runs of the given task's runs. */
export function findActiveChildren(root: string, projectId: string, taskId: string): ChildRun[] {
  const own = listRunDirs(taskDir(root, projectId, taskId));
  const parents = new Set(own.map((r) => r.runId));
  if (parents.size === 0) return [];
  const children: ChildRun[] = [];
  for (const { runId, runDir, pgid } of recentFinishedRuns(own)) {
    if (isGroupAlive(pgid)) {
      children.push({ runId, taskId, runDir, parentRunId: runId, kind: 'processes' });
    }
  }
  // Children start after the task's first run: older run folders (run ids sort by start
  // time, `YYYYMMDD-HHMMSS` first) and finished ones (exit file written) are skipped unread,
  // so polling a project with many runs stays cheap.
  const firstStart = (own[0]?.runId ?? '').slice(0, 15);
  for (const otherTask of listTasks(root, projectId)) {
    for (const { runId, runDir } of listRunDirs(taskDir(root, projectId, otherTask))) {
      if (runId.slice(0, 15) < firstStart || existsSync(join(runDir, FILES.exitCode))) continue;
      const info = tryReadRunInfo(runDir);
      const parent = info?.parent_run_id;
      if (info === undefined || parent === undefined || !parents.has(parent)) continue;
      if (info.status !== 'running' || !isGroupAlive(info.pgid)) continue;
      children.push({ runId, taskId: otherTask, runDir, parentRunId: parent, kind: 'run' });
    }
  }
  return children;
}

export interface ChildWait {
  root: string;
  projectId: string;
  taskId: string;
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once, when there are children to wait for. */
  onWaiting?: (children: ChildRun[]) => void;
}

export type ChildWaitResult =
  | { kind: 'none' }
  | { kind: 'finished'; count: number }
  | { kind: 'timeout'; remaining: ChildRun[]; waitedMs: number }
  | { kind: 'aborted' };

/** Wait until no child run is active, the timeout passes or the signal aborts. */
export async function waitForChildren(wait: ChildWait): Promise<ChildWaitResult> {
  await letWrappersExit(wait.root, wait.projectId, wait.taskId);
  const first = findActiveChildren(wait.root, wait.projectId, wait.taskId);
  if (first.length === 0) return { kind: 'none' };
  wait.onWaiting?.(first);
  const started = Date.now();
  const deadline = started + (wait.timeoutMs ?? DEFAULT_CHILD_WAIT_TIMEOUT_MS);
  const pollMs = wait.pollMs ?? DEFAULT_CHILD_POLL_MS;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      const remaining = findActiveChildren(wait.root, wait.projectId, wait.taskId);
      if (remaining.length === 0) return { kind: 'finished', count: first.length };
      return { kind: 'timeout', remaining, waitedMs: Date.now() - started };
    }
    if (!(await sleepUnlessAborted(Math.min(pollMs, left), wait.signal)))
      return { kind: 'aborted' };
    if (findActiveChildren(wait.root, wait.projectId, wait.taskId).length === 0) {
      return { kind: 'finished', count: first.length };
    }
  }
}
