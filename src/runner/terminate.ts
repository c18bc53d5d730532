/**
 * Process-group liveness and termination. A run's pgid is its wrapper's pid; the group holds
 * the agent and anything it forked, so signalling -pgid reaches grandchildren too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { FILES } from '../core/layout.js';

/**
 * Process state letter from /proc (`R`, `S`, `Z` ...), or undefined when the pid is gone or
 * there is no /proc.
 */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) S ...`: comm may contain spaces and parentheses, so read after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** A process that exists and has not merely exited waiting to be reaped. */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** Members of a process group that are not zombies (Linux /proc scan). */
function groupHasLiveMember(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true; // no /proc: trust kill(2)
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[2] === String(pgid) && fields[0] !== 'Z') return true;
  }
  return false;
}

/**
 * True while any process of the group runs. Zombies do not count: orphans are reaped by
 * PID 1, which in containers can take a second or more, and a zombie holds nothing.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // EPERM: the group exists but belongs to someone else; it is alive all the same.
    if (errnoCode(error) !== 'EPERM') return false;
  }
  // Cheap common case: the leader (the wrapper) is still running.
  const leader = processState(pgid);
  if (leader !== undefined && leader !== 'Z') return true;
  return groupHasLiveMember(pgid);
}

/**
 * The run's group is alive and really belongs to the run: a live leader must be the wrapper
 * started for this run folder (its argv names `<run_id>/agent-exit-code.txt`). This keeps a
 * stale `running` record from adopting or signalling an unrelated process after pid reuse.
 */
export function isRunGroupAlive(pgid: number, runDir: string): boolean {
  if (!isGroupAlive(pgid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pgid}/cmdline`, 'utf8');
  } catch {
    return true; // leader gone (or no /proc): the group id cannot have been reused meanwhile
  }
  if (cmdline === '') return true; // zombie leader; live members were found above
  return cmdline.includes(`${basename(runDir)}/${FILES.exitCode}`);
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
