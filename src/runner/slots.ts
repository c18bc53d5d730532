/**
 * Concurrency slots shared by every process on one root (architecture.md "Concurrency
 * slots"). Slot i is an flock on `.conductor/slots/slot-NN.lock`; the locked fd goes to the
 * run's wrapper, so the kernel frees the slot when the wrapper ends, however it ends.
 *
 * Waiters hold an flock-ed ticket in `.conductor/queue/` named by submission time, so every
 * process sees the same order: a waiter takes a slot only while fewer live tickets are ahead
 * of it than there are free slots. Tickets of dead waiters fail no lock and are removed.
 * Within one process, waiters share one pool that wakes up at once when a local run ends.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../core/errors.js';
import { tryLock } from '../core/flock.js';
import { preciseNow } from '../core/ids.js';
import { SYSTEM_DIR } from '../core/layout.js';

export const DEFAULT_MAX_CONCURRENT = 16;
const POLL_MS = 25;

export interface SlotLease {
  index: number;
  /** Open fd holding the slot's flock; give it to the wrapper, then `release()` our copy. */
  fd: number;
  /** Close our fd (frees the slot unless a child inherited it). Idempotent. */
  release(): void;
}

export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /** Called once when the caller has to wait (no free slot or older waiters). */
  onQueued?: () => void;
  /** Written into the queue ticket (the run folder), so others can tell who waits. */
  label?: string;
}

export function slotsDir(root: string): string {
  return join(root, SYSTEM_DIR, 'slots');
}

export function queueDir(root: string): string {
  return join(root, SYSTEM_DIR, 'queue');
}

export function slotPath(root: string, index: number): string {
  return join(slotsDir(root), `slot-${String(index).padStart(2, '0')}.lock`);
}

function makeLease(index: number, fd: number): SlotLease {
  let open = true;
  return {
    index,
    fd,
    release() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** Try to lock one slot file; the lease or undefined when someone holds it. */
function tryTakeSlot(root: string, index: number): SlotLease | undefined {
  const path = slotPath(root, index);
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o644);
  } catch (error) {
    throw fsError('open', path, error);
  }
  if (tryLock(fd)) return makeLease(index, fd);
  closeSync(fd);
  return undefined;
}

/** True when another holder keeps the ticket's lock; dead tickets are removed. */
function ticketAlive(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    if (!tryLock(fd)) return true;
    try {
      unlinkSync(path);
    } catch {
      // another waiter removed it first
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

let ticketSeq = 0;

interface Ticket {
  name: string;
  path: string;
  fd: number;
}

function createTicket(root: string, label: string): Ticket {
  const now = preciseNow();
  const ns = BigInt(Math.floor(now.date.getTime() / 1000)) * 1_000_000_000n + BigInt(now.nanos);
  ticketSeq += 1;
  const name = `${ns.toString().padStart(20, '0')}-${process.pid}-${ticketSeq}.ticket`;
  const dir = queueDir(root);
  const temp = join(dir, `tmp-${process.pid}-${ticketSeq}`);
  const path = join(dir, name);
  try {
    const fd = openSync(temp, 'w', 0o644);
    tryLock(fd);
    if (label !== '') writeSync(fd, label);
    // Visible under its final name only once locked, so no one mistakes it for a dead ticket.
    renameSync(temp, path);
    return { name, path, fd };
  } catch (error) {
    throw fsError('create queue ticket in', dir, error);
  }
}

function dropTicket(ticket: Ticket): void {
  try {
    unlinkSync(ticket.path);
  } catch {
    // already removed
  }
  closeSync(ticket.fd);
}

interface Waiter {
  ticket: Ticket;
  resolve(lease: SlotLease): void;
  reject(error: unknown): void;
}

class SlotPool {
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dirsReady = false;

  constructor(
    readonly root: string,
    readonly max: number,
  ) {}

  acquire(options: AcquireOptions): Promise<SlotLease> {
    this.ensureDirs();
    options.signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.liveTicketNames().length === 0) {
      const lease = this.takeFree(1)[0];
      if (lease !== undefined) return Promise.resolve(lease);
    }
    const ticket = createTicket(this.root, options.label ?? '');
    options.onQueued?.();
    return new Promise<SlotLease>((resolve, reject) => {
      const waiter: Waiter = { ticket, resolve, reject };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        dropTicket(ticket);
        const reason: unknown = options.signal?.reason;
        reject(reason instanceof Error ? reason : new Error('aborted'));
        this.pump();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      waiter.resolve = (lease) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(lease);
      };
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Hand free slots to local waiters whose turn it is; reschedule while any wait. */
  pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiters.length === 0) return;
    try {
      const order = this.liveTicketNames();
      const free = this.takeFree(this.max);
      let used = 0;
      while (this.waiters.length > 0 && used < free.length) {
        const head = this.waiters[0]!;
        const position = order.indexOf(head.ticket.name);
        // Fewer live tickets ahead than free slots: it is this waiter's turn.
        if (position < 0 || position >= free.length) break;
        this.waiters.shift();
        dropTicket(head.ticket);
        head.resolve(free[used]!);
        used += 1;
      }
      for (const lease of free.slice(used)) lease.release();
    } catch (error) {
      for (const waiter of this.waiters.splice(0)) {
        dropTicket(waiter.ticket);
        waiter.reject(error);
      }
      return;
    }
    if (this.waiters.length > 0) {
      this.timer = setTimeout(() => this.pump(), POLL_MS + Math.floor(Math.random() * POLL_MS));
    }
  }

  private ensureDirs(): void {
    if (this.dirsReady) return;
    for (const dir of [slotsDir(this.root), queueDir(this.root)]) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        throw fsError('create', dir, error);
      }
    }
    this.dirsReady = true;
  }

  /** Sorted names of live tickets (ours are live by construction). */
  private liveTicketNames(): string[] {
    const own = new Set(this.waiters.map((w) => w.ticket.name));
    const dir = queueDir(this.root);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.ticket'));
    } catch (error) {
      throw fsError('read', dir, error);
    }
    return names.filter((n) => own.has(n) || ticketAlive(join(dir, n))).sort();
  }

  private takeFree(limit: number): SlotLease[] {
    const leases: SlotLease[] = [];
    for (let i = 0; i < this.max && leases.length < limit; i += 1) {
      const lease = tryTakeSlot(this.root, i);
      if (lease !== undefined) leases.push(lease);
    }
    return leases;
  }
}

const pools = new Map<string, SlotPool>();

function poolFor(root: string, max: number): SlotPool {
  const key = `${max}\0${root}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new SlotPool(root, max);
    pools.set(key, pool);
  }
  return pool;
}

/**
 * Wait for one of `max` slots on `root`, in submission order across processes. `max <= 0`
 * means no limit (resolves undefined at once).
 */
export async function acquireSlot(
  root: string,
  max: number,
  options: AcquireOptions = {},
): Promise<SlotLease | undefined> {
  if (max <= 0) return undefined;
  return poolFor(root, max).acquire(options);
}

/** True while a live waiter's ticket carries `label` (a queued run's supervisor is alive). */
export function isWaiting(root: string, label: string): boolean {
  const dir = queueDir(root);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.ticket'));
  } catch {
    return false;
  }
  return names.some((name) => {
    const path = join(dir, name);
    try {
      if (readFileSync(path, 'utf8') !== label) return false;
    } catch {
      return false;
    }
    return ticketAlive(path);
  });
}

/** A local run ended: let this process's waiters on `root` take its slot now, not at the next poll. */
export function slotsFreed(root: string): void {
  for (const pool of pools.values()) if (pool.root === root) pool.pump();
}
