import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tryLock } from '../core/flock.js';
import { acquireSlot, isWaiting, queueDir, slotsFreed, type SlotLease } from './slots.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slots-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const tickets = (): string[] => readdirSync(queueDir(root)).filter((n) => n.endsWith('.ticket'));
const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * Another process's waiters as the kernel sees them: an owner file locked through another open
 * file description (flock conflicts between descriptions even within one process), and
 * tickets naming it, older than anything queued after.
 */
function foreignWaiters(owner: string, count: number): { fd: number; names: string[] } {
  mkdirSync(queueDir(root), { recursive: true });
  const fd = openSync(join(queueDir(root), `${owner}.alive`), 'w');
  expect(tryLock(fd)).toBe(true);
  const names = Array.from({ length: count }, (_, i) => {
    const name = `0000000000000000000${i + 1}-${owner}-${i + 1}.ticket`;
    writeFileSync(join(queueDir(root), name), `/runs/foreign-${i + 1}`);
    return name;
  });
  return { fd, names };
}

describe('acquireSlot', () => {
  it('hands out at most `max` slots and serves waiters first come, first served', async () => {
    const a = (await acquireSlot(root, 2))!;
    const b = (await acquireSlot(root, 2))!;
    expect(new Set([a.index, b.index])).toEqual(new Set([0, 1]));
    const order: string[] = [];
    const waiters = ['x', 'y', 'z'].map((name) =>
      acquireSlot(root, 2).then((lease) => {
        order.push(name);
        return lease!;
      }),
    );
    expect(tickets()).toHaveLength(3);
    a.release();
    slotsFreed(root);
    const x = await waiters[0]!;
    expect(order).toEqual(['x']);
    b.release();
    x.release();
    slotsFreed(root);
    const rest = await Promise.all(waiters.slice(1));
    expect(order).toEqual(['x', 'y', 'z']);
    rest.forEach((lease: SlotLease) => lease.release());
    expect(readdirSync(queueDir(root))).toEqual([]);
  });

  it('skips and removes the ticket of a waiter that died', async () => {
    mkdirSync(queueDir(root), { recursive: true });
    // An old ticket nobody holds a lock on: its waiter is gone.
    writeFileSync(join(queueDir(root), '00000000000000000001-1-1.ticket'), '');
    const lease = await acquireSlot(root, 1);
    expect(lease).toBeDefined();
    expect(readdirSync(queueDir(root))).toEqual([]);
    lease!.release();
  });

  it('gives up waiting when the signal aborts', async () => {
    const held = (await acquireSlot(root, 1))!;
    const controller = new AbortController();
    const waiting = acquireSlot(root, 1, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(readdirSync(queueDir(root))).toEqual([]);
    held.release();
  });

  it('holds a constant number of descriptors however many runs wait in this process', async () => {
    const held = (await acquireSlot(root, 1))!;
    const baseline = openFds();
    const order: number[] = [];
    const waiters = Array.from({ length: 200 }, (_, i) =>
      acquireSlot(root, 1, { label: `run-${i}` }).then((lease) => {
        order.push(i);
        return lease!;
      }),
    );
    expect(tickets()).toHaveLength(200);
    // The pool's owner lock plus what a poll opens for a moment.
    expect(openFds() - baseline).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 120));
    expect(openFds() - baseline).toBeLessThanOrEqual(3);
    held.release();
    for (let i = 0; i < 200; i += 1) {
      const lease = await waiters[i]!;
      expect(openFds() - baseline).toBeLessThanOrEqual(4);
      lease.release();
      slotsFreed(root);
    }
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(readdirSync(queueDir(root))).toEqual([]);
    expect(openFds()).toBeLessThanOrEqual(baseline);
  });

  it("waits behind another process's older tickets until that process dies", async () => {
    const foreign = foreignWaiters('4242.1', 2);
    let served = false;
    const waiting = acquireSlot(root, 1, { label: '/runs/ours' }).then((lease) => {
      served = true;
      return lease!;
    });
    expect(isWaiting(root, '/runs/foreign-1')).toBe(true);
    expect(isWaiting(root, '/runs/ours')).toBe(true);
    // A free slot, but two live tickets ahead: not our turn.
    await new Promise((r) => setTimeout(r, 150));
    expect(served).toBe(false);
    expect(tickets()).toHaveLength(3);
    // The owner dies: the kernel drops its lock; its tickets no longer count and are removed.
    closeSync(foreign.fd);
    const lease = await waiting;
    expect(isWaiting(root, '/runs/foreign-1')).toBe(false);
    expect(readdirSync(queueDir(root))).toEqual([]);
    lease.release();
  });

  it('removes owner files left without tickets by a crash, and keeps live ones', () => {
    const live = foreignWaiters('4242.2', 0);
    writeFileSync(join(queueDir(root), '4243.3.alive'), '');
    expect(isWaiting(root, 'anything')).toBe(false);
    expect(readdirSync(queueDir(root))).toEqual(['4242.2.alive']);
    closeSync(live.fd);
  });

  it('means no limit for max 0', async () => {
    expect(await acquireSlot(root, 0)).toBeUndefined();
  });
});
