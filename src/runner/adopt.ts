/**
 * Re-attach to a run started by another process (a server restart, a CLI supervisor that was
 * killed) and finish it truthfully from disk. The agent never depended on its supervisor, so
 * adopting is only: wait for the end, enforce what is left of the total timeout, record.
 */
import { ConflictError } from '../core/errors.js';
import { isTerminalStatus, readRunInfo, runInfoPath } from '../core/run-info.js';
import { waitForExit } from './exit-watch.js';
import { finishRun, resultOfInfo } from './finish.js';
import type { JobResult } from './job-result.js';
import { isWaiting, slotsFreed } from './slots.js';
import { backendOf, stopRun } from './stop.js';
import { runDirContext } from '../core/layout.js';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AdoptOptions {
  stopGraceMs?: number;
  /** Stop the run when this aborts. */
  signal?: AbortSignal;
  /** A never-started run younger than this is left to its supervisor (default 5 s). */
  unstartedGraceMs?: number;
}

export async function adoptRun(runDir: string, options: AdoptOptions = {}): Promise<JobResult> {
  const info = readRunInfo(runDir);
  if (isTerminalStatus(info.status)) return resultOfInfo(runDir, info);
  if (info.pgid <= 1) {
    return adoptUnstarted(runDir, info.run_id, info.status, options.unstartedGraceMs);
  }
  const graceMs = options.stopGraceMs ?? 30_000;
  let stopping: Promise<void> | undefined;
  const stop = (reason: 'stop' | 'timeout'): void => {
    stopping ??= stopRun(runDir, { reason, graceMs, finish: false });
  };
  let timer: NodeJS.Timeout | undefined;
  const start = Date.parse(info.start_time);
  if (info.timeout_s !== undefined && info.timeout_s > 0 && Number.isFinite(start)) {
    const leftMs = Math.max(0, start + info.timeout_s * 1000 - Date.now());
    timer = setTimeout(() => stop('timeout'), leftMs);
  }
  const onAbort = (): void => stop('stop');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const observation = await waitForExit(runDir, { pgid: info.pgid });
    if (timer !== undefined) clearTimeout(timer);
    if (stopping !== undefined) await stopping;
    const { result } = await finishRun(runDir, observation, backendOf(info.agent));
    slotsFreed(rootOf(runDir));
    return result;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs younger than this may still be between their first write and their queue ticket. */
const UNSTARTED_GRACE_MS = 5_000;

/**
 * A run that never started: while its supervisor waits for a slot (live queue ticket) it is
 * not ours to take; if that supervisor is gone, record the run as failed so it is not left
 * `queued` forever.
 */
async function adoptUnstarted(
  runDir: string,
  runId: string,
  status: string,
  graceMs = UNSTARTED_GRACE_MS,
): Promise<JobResult> {
  const recent = Date.now() - statSync(runInfoPath(runDir)).mtimeMs < graceMs;
  if (recent || isWaiting(rootOf(runDir), runDir)) {
    throw new ConflictError(`run ${runId} is ${status} and its supervisor is waiting for a slot`);
  }
  const { result } = await finishRun(
    runDir,
    { kind: 'not-started', error: 'supervisor exited while the run was queued' },
    backendOf(readRunInfo(runDir).agent),
  );
  return result;
}

/** `<root>/<project>/<task>/...` -> root. */
function rootOf(runDir: string): string {
  return dirname(dirname(runDirContext(runDir).taskDir));
}
