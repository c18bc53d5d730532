/**
 * Process-group liveness and termination. A run's pgid is its wrapper's pid; the group holds
 * the agent and anything it forked, so signalling -pgid reaches grandchildren too.
 */
import { errnoCode } from '../core/errors.js';

/** True while any process of the group exists (zombies included until reaped). */
export function isGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: the group exists but belongs to someone else; it is alive all the same.
    return errnoCode(error) === 'EPERM';
  }
}

/** Send `signal` to the whole group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until the group is gone or `timeoutMs` passes; true when gone. */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let waitMs = 5;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(waitMs, Math.max(1, deadline - Date.now())));
    waitMs = Math.min(waitMs * 2, 100);
  }
  return true;
}

export interface TerminateOptions {
  /** Time between SIGTERM and SIGKILL (default 30 s). */
  graceMs?: number;
  /** SIGKILL at once. */
  force?: boolean;
}

/**
 * SIGTERM the group, wait up to the grace period, then SIGKILL whatever is left and wait for
 * the kernel to reap it. Resolves once no process of the group remains.
 */
export async function terminateGroup(pgid: number, options: TerminateOptions = {}): Promise<void> {
  const graceMs = options.graceMs ?? 30_000;
  if (!options.force) {
    if (!signalGroup(pgid, 'SIGTERM')) return;
    if (await waitGroupGone(pgid, graceMs)) return;
  }
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 10_000);
}
