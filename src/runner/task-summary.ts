/**
 * What `run-agent list` / `status` (and any other reader) show about tasks and runs, read from
 * disk. Reading heals stale runs (compat.md §8): a run recorded `running` whose process group
 * is gone is finished from its files (exit code file -> that exit, else `crashed`), through the
 * runner's one finisher, so nothing is ever left `running` forever.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FILES, taskDir as taskDirOf } from '../core/layout.js';
import { isTerminalStatus, runDurationMs, tryReadRunInfo, type RunInfo } from '../core/run-info.js';
import { listRunDirs, listTasks } from '../core/store.js';
import {
  isActiveLoopStatus,
  isDone,
  isLoopOwnerAlive,
  readLoopState,
  readTaskConfig,
} from '../core/task-files.js';
import { readTailSync } from '../bus/reader.js';
import { blockedBy } from './dependencies.js';
import { readExitCode } from './exit-watch.js';
import { finishRun } from './finish.js';
import { backendOf } from './stop.js';
import { isGroupAlive } from './terminate.js';

export interface RunRow {
  run_id: string;
  run_dir: string;
  status: string;
  exit_code: number;
  agent: string;
  start_time: string;
  end_time: string;
  duration_ms: number | null;
  pid: number;
  pid_alive: boolean;
  parent_run_id?: string;
  previous_run_id?: string;
  attempt?: number;
  error_summary?: string;
  /** Set when the shown status/exit code were healed from these recorded ones. */
  recorded_status?: string;
  recorded_exit_code?: number;
}

export type TaskStatus = 'queued' | 'blocked' | 'running' | 'done' | 'failed' | 'stopped' | 'idle';

export interface TaskRow {
  project_id: string;
  task_id: string;
  status: TaskStatus;
  done: boolean;
  run_count: number;
  latest_run_id: string;
  latest_run_status: string;
  latest_exit_code: number | null;
  pid_alive: boolean;
  depends_on: string[];
  blocked_by: string[];
  last_activity: string;
  agent: string;
  error_summary?: string;
}

/** Finish a run whose process group vanished while it was recorded active. */
async function healIfStale(runDir: string, info: RunInfo): Promise<RunInfo> {
  if (info.status !== 'running' || info.pgid <= 1 || isGroupAlive(info.pgid)) return info;
  const exitCode = readExitCode(runDir);
  const observation =
    exitCode !== undefined ? { kind: 'exited' as const, exitCode } : { kind: 'vanished' as const };
  await finishRun(runDir, observation, backendOf(info.agent));
  return tryReadRunInfo(runDir) ?? info;
}

function rowOf(runDir: string, info: RunInfo): RunRow {
  const row: RunRow = {
    run_id: info.run_id,
    run_dir: runDir,
    status: info.status,
    exit_code: info.exit_code,
    agent: info.agent_name ?? info.agent,
    start_time: info.start_time,
    end_time: info.end_time,
    duration_ms: runDurationMs(info) ?? null,
    pid: info.pid,
    pid_alive: !isTerminalStatus(info.status) && isGroupAlive(info.pgid),
  };
  if (info.parent_run_id) row.parent_run_id = info.parent_run_id;
  if (info.previous_run_id) row.previous_run_id = info.previous_run_id;
  if (info.attempt !== undefined) row.attempt = info.attempt;
  if (info.error_summary) row.error_summary = info.error_summary;
  return row;
}

/**
 * Runs of a task, oldest first, stale ones healed. As the reference's readers do (compat §8),
 * once the task is DONE a run that ended without an exit status (-1: stopped, timed out) is
 * shown as completed/0; what was recorded stays in `recorded_status`/`recorded_exit_code`.
 */
export async function taskRuns(root: string, projectId: string, taskId: string): Promise<RunRow[]> {
  const taskDir = taskDirOf(root, projectId, taskId);
  return readRows(listRunDirs(taskDir), isDone(taskDir));
}

async function readRows(entries: readonly { runDir: string }[], done: boolean): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (const { runDir } of entries) {
    const info = tryReadRunInfo(runDir);
    if (info === undefined) continue;
    const row = rowOf(runDir, await healIfStale(runDir, info));
    if (
      done &&
      row.exit_code === -1 &&
      isTerminalStatus(row.status) &&
      row.status !== 'completed'
    ) {
      row.recorded_status = row.status;
      row.recorded_exit_code = row.exit_code;
      row.status = 'completed';
      row.exit_code = 0;
    }
    rows.push(row);
  }
  return rows;
}

/** Time of the last message on a bus (reads only its tail), if any. */
function lastBusTime(path: string): string | undefined {
  try {
    return readTailSync(path, 1)[0]?.ts;
  } catch {
    return undefined;
  }
}

function taskStatusOf(taskDir: string, latest: RunRow | undefined, blocked: string[]): TaskStatus {
  const loop = readLoopState(taskDir);
  if (loop !== undefined && isActiveLoopStatus(loop.status) && isLoopOwnerAlive(loop)) {
    return loop.status;
  }
  if (isDone(taskDir)) return 'done';
  if (latest?.pid_alive === true) return 'running';
  if (loop?.status === 'failed' || loop?.status === 'stopped') return loop.status;
  if (blocked.length > 0) return 'blocked';
  if (latest === undefined) return 'idle';
  return latest.status === 'completed' ? 'idle' : 'failed';
}

export async function summarizeTask(
  root: string,
  projectId: string,
  taskId: string,
): Promise<TaskRow> {
  const taskDir = taskDirOf(root, projectId, taskId);
  const entries = listRunDirs(taskDir);
  // Only the latest run and runs without an exit file can matter here (status, liveness,
  // healing): finished runs are counted, not read, so big tasks list fast.
  const wanted = entries.filter(
    (e, i) => i === entries.length - 1 || !existsSync(join(e.runDir, FILES.exitCode)),
  );
  const runs = await readRows(wanted, isDone(taskDir));
  const latestDir = entries[entries.length - 1]?.runDir;
  const latest = runs.find((r) => r.run_dir === latestDir);
  const dependsOn = readTaskConfig(taskDir).depends_on;
  const blocked = isDone(taskDir) ? [] : blockedBy(root, projectId, dependsOn);
  // Recorded times, not file mtimes: a copied or checked-out root keeps its history.
  const times = [
    latest?.end_time,
    latest?.start_time,
    lastBusTime(join(taskDir, FILES.taskBus)),
  ].filter((t): t is string => t !== undefined && !t.startsWith('0001-'));
  const lastActivity = times.reduce<string>(
    (a, b) => (a === '' || Date.parse(b) > Date.parse(a) ? b : a),
    '',
  );
  const loop = readLoopState(taskDir);
  const row: TaskRow = {
    project_id: projectId,
    task_id: taskId,
    status: taskStatusOf(taskDir, latest, blocked),
    done: isDone(taskDir),
    run_count: entries.length,
    latest_run_id: latest?.run_id ?? '',
    latest_run_status: latest?.status ?? '',
    latest_exit_code: latest?.exit_code ?? null,
    pid_alive: runs.some((r) => r.pid_alive),
    depends_on: dependsOn,
    blocked_by: blocked,
    last_activity: lastActivity,
    agent: latest?.agent ?? loop?.agent ?? '',
  };
  if (loop?.error_summary !== undefined) row.error_summary = loop.error_summary;
  return row;
}

export async function summarizeTasks(root: string, projectId: string): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  for (const taskId of listTasks(root, projectId)) {
    rows.push(await summarizeTask(root, projectId, taskId));
  }
  return rows;
}

/** `--status` filters of list/status (reference names plus ours). */
export function matchesTaskStatus(row: TaskRow, filter: string): boolean {
  switch (filter) {
    case 'running':
      return row.status === 'running' || row.pid_alive;
    case 'active':
      return ['queued', 'blocked', 'running'].includes(row.status) || row.pid_alive;
    case 'done':
      return row.done;
    case 'completed':
      return row.latest_run_status === 'completed';
    case 'failed':
      return row.status === 'failed' || (!row.done && isFailed(row.latest_run_status));
    case 'blocked':
      return row.blocked_by.length > 0 || row.status === 'blocked';
    case 'pending':
      return !row.done && !row.pid_alive && row.run_count === 0;
    default:
      return row.status === filter || row.latest_run_status === filter;
  }
}

function isFailed(status: string): boolean {
  return ['failed', 'timeout', 'crashed', 'stopped'].includes(status);
}
