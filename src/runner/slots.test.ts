import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireSlot, queueDir, slotsFreed, type SlotLease } from './slots.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'slots-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

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
    expect(readdirSync(queueDir(root))).toHaveLength(3);
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

  it('means no limit for max 0', async () => {
    expect(await acquireSlot(root, 0)).toBeUndefined();
  });
});
