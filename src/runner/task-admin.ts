/**
 * Deleting a task: refused while its loop or any of its runs is alive, unless forced; a forced
 * delete first ends the loop owner (SIGTERM) and stops the runs, so nothing recreates files
 * in the folder we remove.
 */
import { rmSync } from 'node:fs';
import { ConflictError, fsError } from '../core/errors.js';
import { readRunInfo, isTerminalStatus } from '../core/run-info.js';
import { listRunDirs } from '../core/store.js';
import { isActiveLoopStatus, isLoopOwnerAlive, readLoopState } from '../core/task-files.js';
import { stopRun } from './stop.js';
import { isGroupAlive } from './terminate.js';

export interface TaskActivity {
  /** pid of a live loop owner on this host, if any. */
  loopOwnerPid?: number;
  /** Run folders whose process group is alive. */
  activeRunDirs: string[];
}

export function taskActivity(taskDir: string): TaskActivity {
  const loop = readLoopState(taskDir);
  const activeRunDirs = listRunDirs(taskDir)
    .map((r) => r.runDir)
    .filter((runDir) => {
      const info = readRunInfo(runDir);
      return !isTerminalStatus(info.status) && isGroupAlive(info.pgid);
    });
  const ownerAlive =
    loop !== undefined &&
    isActiveLoopStatus(loop.status) &&
    loop.owner_pid !== process.pid &&
    isLoopOwnerAlive(loop);
  return { ...(ownerAlive ? { loopOwnerPid: loop.owner_pid } : {}), activeRunDirs };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function deleteTask(taskDir: string, options: { force: boolean }): Promise<void> {
  const activity = taskActivity(taskDir);
  const busy = activity.loopOwnerPid !== undefined || activity.activeRunDirs.length > 0;
  if (busy && !options.force) {
    const what =
      activity.loopOwnerPid !== undefined
        ? `its loop is running (pid ${activity.loopOwnerPid})`
        : `${activity.activeRunDirs.length} run(s) are running`;
    throw new ConflictError(`cannot delete task ${taskDir}: ${what}; use --force`);
  }
  if (activity.loopOwnerPid !== undefined) {
    try {
      process.kill(activity.loopOwnerPid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await Promise.all(activity.activeRunDirs.map((runDir) => stopRun(runDir, { graceMs: 5_000 })));
  // Give the loop owner a moment to record `stopped` before its folder disappears.
  const deadline = Date.now() + 5_000;
  while (activity.loopOwnerPid !== undefined && Date.now() < deadline) {
    try {
      process.kill(activity.loopOwnerPid, 0);
    } catch {
      break;
    }
    await sleep(50);
  }
  try {
    rmSync(taskDir, { recursive: true, force: true });
  } catch (error) {
    throw fsError('delete', taskDir, error);
  }
}
