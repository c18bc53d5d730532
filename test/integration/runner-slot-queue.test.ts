/**
 * The slot queue across real processes: a process with several queued runs holds one
 * descriptor for all of them, its older tickets keep their turn over a later process, and
 * when it is killed (-9) its tickets stop counting and are removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireSlot, isWaiting, queueDir, slotsFreed } from '../../src/runner/slots.js';
import { REPO_ROOT, tempRoot, waitFor } from './runner-helpers.js';

const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const SLOTS = pathToFileURL(join(REPO_ROOT, 'src', 'runner', 'slots.ts')).href;

let root: string;
let cleanup: () => void;
let child: ChildProcess | undefined;
beforeEach(() => ({ root, cleanup } = tempRoot('slot-queue-')));
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  cleanup();
});

/** Another process queueing `count` runs on the root; prints each slot it gets. */
function queueingProcess(count: number): { proc: ChildProcess; output: () => string } {
  const script = `
    const { acquireSlot } = await import(${JSON.stringify(SLOTS)});
    for (let i = 1; i <= ${count}; i++)
      acquireSlot(${JSON.stringify(root)}, 1, { label: 'child-' + i }).then(() =>
        process.stdout.write('got child-' + i + '\\n'));
    setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { proc, output: () => out };
}

/** Descriptors `pid` holds on files of the queue folder. */
function queueFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(queueDir(root))) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

/** The queue folder appears with the first ticket. */
const tickets = (): string[] =>
  existsSync(queueDir(root))
    ? readdirSync(queueDir(root)).filter((n) => n.endsWith('.ticket'))
    : [];

describe('slot queue across processes', () => {
  it('one descriptor per waiting process, FIFO across processes, a killed process stops counting', async () => {
    const held = (await acquireSlot(root, 1))!;
    const other = queueingProcess(3);
    child = other.proc;
    await waitFor(() => tickets().length === 3, 20_000, 'three tickets from the other process');
    expect(queueFds(child.pid!)).toBe(1);
    expect(isWaiting(root, 'child-2')).toBe(true);

    let ours = false;
    const waiting = acquireSlot(root, 1, { label: 'parent' }).then((lease) => {
      ours = true;
      return lease!;
    });
    expect(tickets()).toHaveLength(4);
    // Our slot frees: the other process's older ticket is first in line.
    held.release();
    slotsFreed(root);
    await waitFor(() => other.output().includes('got child-1'), 20_000, 'child-1 served first');
    expect(ours).toBe(false);

    // kill -9: its slot and its two remaining tickets go with it.
    child.kill('SIGKILL');
    const lease = await waiting;
    expect(ours).toBe(true);
    expect(isWaiting(root, 'child-2')).toBe(false);
    lease.release();
    expect(readdirSync(queueDir(root))).toEqual([]);
  });
});
