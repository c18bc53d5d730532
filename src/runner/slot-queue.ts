/**
 * The on-disk queue of slot waiters, shared by every process on one root (architecture.md
 * "Concurrency slots").
 *
 * A process with waiters holds one flock-ed owner file `queue/<owner>.alive`; each waiter is a
 * plain ticket file `<submission ns>-<owner>-<seq>.ticket` whose content is its label (the run
 * folder). Names sort by submission time, so every process sees one FIFO order. A ticket is
 * live while its owner's file is locked: when the process dies the kernel drops the lock and
 * whoever looks next removes its tickets. So a process holds one descriptor per root while it
 * waits, however many runs wait, where a lock per ticket held one per queued run.
 *
 * Tickets written by older versions (`<ns>-<pid>-<seq>.ticket`, each flock-ed itself, no owner
 * file) are still judged by their own lock.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../core/errors.js';
import { tryLock } from '../core/flock.js';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import { preciseNow } from '../core/ids.js';
import { SYSTEM_DIR } from '../core/layout.js';

const TICKET = /^\d{20}-([^-]+)-\d+\.ticket$/;
const ALIVE = '.alive';

export function queueDir(root: string): string {
  return join(root, SYSTEM_DIR, 'queue');
}

function nowNs(): bigint {
  const now = preciseNow();
  return BigInt(Math.floor(now.date.getTime() / 1000)) * 1_000_000_000n + BigInt(now.nanos);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // someone else removed it first
  }
}

/** This process's waiters on one root: the owner file while any wait, and their tickets. */
export class QueueOwner {
  private fd: number | undefined;
  private id = '';
  private seq = 0;
  private readonly tickets = new Set<string>();

  constructor(readonly root: string) {}

  /** Register a waiter; returns its ticket name. */
  add(label: string): string {
    const dir = queueDir(this.root);
    this.open(dir);
    this.seq += 1;
    const name = `${nowNs().toString().padStart(20, '0')}-${this.id}-${this.seq}.ticket`;
    try {
      writeFileAtomicSync(join(dir, name), label, { fsync: false });
    } catch (error) {
      if (this.tickets.size === 0) this.close();
      throw error;
    }
    this.tickets.add(name);
    return name;
  }

  /** Drop a waiter's ticket; the owner file goes with the last one. */
  remove(name: string): void {
    if (!this.tickets.delete(name)) return;
    unlinkQuietly(join(queueDir(this.root), name));
    if (this.tickets.size === 0) this.close();
  }

  owns(name: string): boolean {
    return this.tickets.has(name);
  }

  get ownerId(): string {
    return this.id;
  }

  /** Locked before it is visible under its name, so no one takes it for a dead owner's. */
  private open(dir: string): void {
    if (this.fd !== undefined) return;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw fsError('create', dir, error);
    }
    // A fresh id each time: a checker holding the previous file's path can never hit this one.
    const id = `${process.pid}.${nowNs()}`;
    const temp = join(dir, `tmp-${id}`);
    let fd: number | undefined;
    try {
      fd = openSync(temp, 'w', 0o644);
      tryLock(fd);
      renameSync(temp, join(dir, `${id}${ALIVE}`));
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      unlinkQuietly(temp);
      throw fsError('create queue owner file in', dir, error);
    }
    this.fd = fd;
    this.id = id;
  }

  private close(): void {
    if (this.fd === undefined) return;
    // Tickets first (done by the callers), then the name, then the lock.
    unlinkQuietly(join(queueDir(this.root), `${this.id}${ALIVE}`));
    closeSync(this.fd);
    this.fd = undefined;
  }
}

type Verdict = 'alive' | 'dead' | 'missing';

/** Whether another process holds `path`'s lock; a free lock means its holder died. */
function lockHeld(path: string): Verdict {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 'missing';
  }
  try {
    return tryLock(fd) ? 'dead' : 'alive';
  } finally {
    closeSync(fd);
  }
}

function listQueue(root: string): string[] {
  const dir = queueDir(root);
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError('read', dir, error);
  }
}

/**
 * Sorted names of live tickets (ours are live by construction). Removes the tickets and owner
 * files of dead processes. One lock probe per other owner, not per ticket.
 */
export function liveTickets(root: string, own?: QueueOwner): string[] {
  const dir = queueDir(root);
  const names = listQueue(root);
  const verdicts = new Map<string, Verdict>();
  const owners = new Set<string>();
  const live: string[] = [];
  for (const name of names) {
    const owner = TICKET.exec(name)?.[1];
    if (owner === undefined) continue;
    owners.add(owner);
    if (own?.owns(name) === true) {
      live.push(name);
      continue;
    }
    let verdict = verdicts.get(owner);
    if (verdict === undefined) {
      verdict = lockHeld(join(dir, `${owner}${ALIVE}`));
      if (verdict === 'dead') unlinkQuietly(join(dir, `${owner}${ALIVE}`));
      verdicts.set(owner, verdict);
    }
    // No owner file: an older version's self-locked ticket, or a finished owner's leftover.
    const alive = verdict === 'alive' || (verdict === 'missing' && legacyTicketAlive(dir, name));
    if (alive) live.push(name);
    else unlinkQuietly(join(dir, name));
  }
  sweepOwnerFiles(dir, names, owners, own);
  return live.sort();
}

/** An older version's ticket is live while flock-ed; dead ones are removed by the caller. */
function legacyTicketAlive(dir: string, name: string): boolean {
  return lockHeld(join(dir, name)) === 'alive';
}

/** Owner files without tickets whose process died between removing both (crash). */
function sweepOwnerFiles(
  dir: string,
  names: string[],
  owners: Set<string>,
  own: QueueOwner | undefined,
): void {
  for (const name of names) {
    if (!name.endsWith(ALIVE)) continue;
    const owner = name.slice(0, -ALIVE.length);
    if (owners.has(owner) || owner === own?.ownerId) continue;
    if (lockHeld(join(dir, name)) === 'dead') unlinkQuietly(join(dir, name));
  }
}

/** True while a live waiter's ticket carries `label` (a queued run's supervisor is alive). */
export function isWaiting(root: string, label: string): boolean {
  const dir = queueDir(root);
  return liveTickets(root).some((name) => {
    try {
      return readFileSync(join(dir, name), 'utf8') === label;
    } catch {
      return false;
    }
  });
}
