/**
 * JSON shapes of the API (docs/api.md) built from index entries: RunSummary, TaskSummary,
 * and the reference's run/task shapes (compat.md §9). Pure functions; no disk access.
 */
import { runDurationMs, ZERO_TIME, type RunInfo } from '../core/run-info.js';
import { isActiveLoopStatus, isLoopOwnerAlive } from '../core/task-files.js';
import type { RunEntry, RunIndex, TaskEntry } from './run-index.js';

export type TaskStatus = 'queued' | 'blocked' | 'running' | 'done' | 'failed' | 'stopped' | 'idle';

const RUN_FIELDS_FROM_INFO = [
  'parent_run_id',
  'previous_run_id',
  'process_ownership',
  'error_summary',
  'agent_version',
] as const;

/** RunSummary: our fields plus the reference's `/api/v1/runs` fields (empty ones omitted). */
export function runSummary(info: RunInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    run_id: info.run_id,
    project_id: info.project_id,
    task_id: info.task_id,
    agent: info.agent_name ?? info.agent,
    status: info.status,
    exit_code: info.exit_code,
    start_time: info.start_time,
  };
  if (info.end_time !== ZERO_TIME) out.end_time = info.end_time;
  const duration = runDurationMs(info);
  if (duration !== undefined) out.duration_ms = duration;
  for (const key of RUN_FIELDS_FROM_INFO) {
    const value = info[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  if (info.agent_name !== undefined && info.agent_name !== info.agent) out.agent_type = info.agent;
  for (const key of ['attempt', 'input_tokens', 'output_tokens', 'cost_usd'] as const) {
    const value = info[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

/** Task status from DONE, the loop state and the latest run (docs/api.md task statuses). */
export function taskStatus(task: TaskEntry, latest: RunEntry | undefined): TaskStatus {
  // DONE may appear while the loop still waits for children and propagates the FACT.
  const loopActive =
    task.loop !== undefined && isActiveLoopStatus(task.loop.status) && isLoopOwnerAlive(task.loop);
  if (task.done && !loopActive) return 'done';
  const runStatus = latest?.info.status;
  if (runStatus === 'running') return 'running';
  if (runStatus === 'queued') return 'queued';
  const loop = task.loop?.status;
  if (loop !== undefined && loop !== 'done') return loop;
  switch (runStatus) {
    case 'failed':
    case 'crashed':
    case 'timeout':
      return 'failed';
    case 'stopped':
      return 'stopped';
    default:
      return 'idle';
  }
}

export function lastActivity(task: TaskEntry, runs: readonly RunEntry[]): string {
  let best = '';
  for (const run of runs) {
    for (const t of [run.info.end_time, run.info.start_time]) {
      if (t !== ZERO_TIME && t > best) best = t;
    }
  }
  // No run yet: the task folder's time is all we have.
  return best !== '' ? best : new Date(task.mtimeMs > 0 ? task.mtimeMs : Date.now()).toISOString();
}

/** Dependencies of a task that are not DONE yet. */
export function blockedBy(index: RunIndex, task: TaskEntry): string[] {
  return task.dependsOn.filter((dep) => index.task(task.projectId, dep)?.done !== true);
}

/**
 * 1-based place of each queued run (waiting for a concurrency slot), by run id: run ids sort
 * by creation time, the same order the runner's slot queue serves waiters in.
 */
export function queuePositions(index: RunIndex): Map<string, number> {
  const queued = [...index.runs.values()]
    .filter((r) => r.info.status === 'queued')
    .map((r) => r.info.run_id)
    .sort();
  return new Map(queued.map((id, i) => [id, i + 1]));
}

/** `queue_position` of a task whose latest run is queued; positions computed on demand. */
export function taskQueuePosition(
  index: RunIndex,
  latest: RunEntry | undefined,
  positions?: Map<string, number>,
): number | undefined {
  if (latest?.info.status !== 'queued') return undefined;
  return (positions ?? queuePositions(index)).get(latest.info.run_id);
}

/** TaskSummary; pass `positions` (queuePositions) when summarising many tasks at once. */
export function taskSummary(
  index: RunIndex,
  task: TaskEntry,
  positions?: Map<string, number>,
): Record<string, unknown> {
  const runs = index.runsOfTask(task);
  const latest = runs[runs.length - 1];
  const out: Record<string, unknown> = {
    project_id: task.projectId,
    task_id: task.taskId,
    status: taskStatus(task, latest),
    agent: task.loop?.agent ?? latest?.info.agent_name ?? latest?.info.agent ?? '',
    done: task.done,
    run_count: runs.length,
    last_activity: lastActivity(task, runs),
    depends_on: task.dependsOn,
    blocked_by: blockedBy(index, task),
    created_at: runs[0]?.info.start_time ?? task.createdAt,
  };
  if (latest !== undefined) {
    out.latest_run_id = latest.info.run_id;
    out.latest_run_status = latest.info.status;
  }
  const position = taskQueuePosition(index, latest, positions);
  if (position !== undefined) out.queue_position = position;
  if (task.loop?.error_summary !== undefined) out.error_summary = task.loop.error_summary;
  return out;
}

/** Reference task status: running/queued/blocked while active, else `all_finished`. */
export function referenceTaskStatus(index: RunIndex, task: TaskEntry): string {
  const status = taskStatus(task, index.latestRun(task));
  if (status === 'running' || status === 'queued' || status === 'blocked') return status;
  return index.runsOfTask(task).length > 0 || task.done ? 'all_finished' : 'idle';
}

/** Reference `{id, agent, ...}` run shape used under `/api/projects/...`. */
export function referenceRun(
  entry: RunEntry,
  files?: Record<string, unknown>[],
): Record<string, unknown> {
  const info = entry.info;
  const out: Record<string, unknown> = { id: info.run_id, agent: info.agent };
  if (info.agent_version !== '') out.agent_version = info.agent_version;
  out.status = info.status;
  if (info.process_ownership !== undefined && info.process_ownership !== '')
    out.process_ownership = info.process_ownership;
  out.exit_code = info.exit_code;
  out.start_time = info.start_time;
  if (info.end_time !== ZERO_TIME) out.end_time = info.end_time;
  if (info.parent_run_id) out.parent_run_id = info.parent_run_id;
  if (info.previous_run_id) out.previous_run_id = info.previous_run_id;
  if (info.error_summary) out.error_summary = info.error_summary;
  if (files !== undefined) out.files = files;
  return out;
}
