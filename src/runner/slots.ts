/**
 * Concurrency slots shared by every process on one root (architecture.md "Concurrency
 * slots"). Slot i is an flock on `.conductor/slots/slot-NN.lock`; the locked fd goes to the
 * run's wrapper, so the kernel frees the slot when the wrapper ends, however it ends.
 *
 * Waiters have a ticket in `.conductor/queue/` named by submission time (slot-queue.ts), so
 * every process sees the same order: a waiter takes a slot only while fewer live tickets are
 * ahead of it than there are free slots. Tickets of dead processes are skipped and removed.
 * Within one process, waiters share one pool that wakes up at once when a local run ends, and
 * hold no descriptor each: the pool holds one owner lock for all of them.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../core/errors.js';
import { tryLock } from '../core/flock.js';
import { SYSTEM_DIR } from '../core/layout.js';
import { liveTickets, QueueOwner, queueDir } from './slot-queue.js';

export { isWaiting, queueDir } from './slot-queue.js';

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

interface Waiter {
  ticket: string;
  resolve(lease: SlotLease): void;
  reject(error: unknown): void;
}

class SlotPool {
  private readonly waiters: Waiter[] = [];
  private readonly queue: QueueOwner;
  private timer: NodeJS.Timeout | undefined;
  private dirsReady = false;

  constructor(
    readonly root: string,
    readonly max: number,
  ) {
    this.queue = new QueueOwner(root);
  }

  acquire(options: AcquireOptions): Promise<SlotLease> {
    this.ensureDirs();
    options.signal?.throwIfAborted();
    if (this.waiters.length === 0 && liveTickets(this.root, this.queue).length === 0) {
      const lease = this.takeFree(1)[0];
      if (lease !== undefined) return Promise.resolve(lease);
    }
    const ticket = this.queue.add(options.label ?? '');
    options.onQueued?.();
    return new Promise<SlotLease>((resolve, reject) => {
      const waiter: Waiter = { ticket, resolve, reject };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        this.queue.remove(ticket);
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
      const order = liveTickets(this.root, this.queue);
      const free = this.takeFree(this.max);
      let used = 0;
      while (this.waiters.length > 0 && used < free.length) {
        const head = this.waiters[0]!;
        const position = order.indexOf(head.ticket);
        // Fewer live tickets ahead than free slots: it is this waiter's turn.
        if (position < 0 || position >= free.length) break;
        this.waiters.shift();
        this.queue.remove(head.ticket);
        head.resolve(free[used]!);
        used += 1;
      }
      for (const lease of free.slice(used)) lease.release();
    } catch (error) {
      for (const waiter of this.waiters.splice(0)) {
        this.queue.remove(waiter.ticket);
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

/** A local run ended: let this process's waiters on `root` take its slot now, not at the next poll. */
export function slotsFreed(root: string): void {
  for (const pool of pools.values()) if (pool.root === root) pool.pump();
}
