import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunInfo, writeRunInfo, type RunInfo } from '../core/run-info.js';
import { findActiveChildren, waitForChildren } from './children.js';

let root: string;
const procs: ChildProcess[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'children-'));
});
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function addRun(taskId: string, runId: string, fields: Partial<RunInfo>): string {
  const runDir = join(root, 'p', taskId, runId);
  mkdirSync(runDir, { recursive: true });
  writeRunInfo(runDir, { ...parseRunInfo('', runDir), version: 1, ...fields });
  return runDir;
}

/** A real detached process group standing in for a child run's wrapper. */
function startGroup(seconds: number): ChildProcess {
  const child = spawn('sleep', [String(seconds)], { detached: true, stdio: 'ignore' });
  procs.push(child);
  return child;
}

describe('child runs', () => {
  it('counts live processes left in the group of a recently finished run of the task', () => {
    const leftover = startGroup(30);
    addRun('parent', '20260101-0000000000-1-1', {
      status: 'completed',
      exit_code: 0,
      pgid: leftover.pid!,
      end_time: new Date().toISOString(),
    });
    addRun('parent', '20260101-0000000000-1-2', {
      status: 'completed',
      exit_code: 0,
      pgid: leftover.pid!,
      end_time: '2020-01-01T00:00:00Z',
    });
    expect(findActiveChildren(root, 'p', 'parent')).toEqual([
      {
        runId: '20260101-0000000000-1-1',
        taskId: 'parent',
        runDir: join(root, 'p', 'parent', '20260101-0000000000-1-1'),
        parentRunId: '20260101-0000000000-1-1',
        kind: 'processes',
      },
    ]);
  });

  it('finds running children with a live group, in any task of the project', () => {
    const alive = startGroup(30);
    addRun('parent', '20260101-0000000000-1-1', { status: 'completed', exit_code: 0 });
    addRun('child-a', '20260101-0000010000-2-1', {
      status: 'running',
      parent_run_id: '20260101-0000000000-1-1',
      pid: alive.pid!,
      pgid: alive.pid!,
    });
    // running on disk but its group is gone: not active
    addRun('child-b', '20260101-0000020000-3-1', {
      status: 'running',
      parent_run_id: '20260101-0000000000-1-1',
      pid: 2 ** 22 + 7,
      pgid: 2 ** 22 + 7,
    });
    // finished child and an unrelated running run
    addRun('child-c', '20260101-0000030000-4-1', {
      status: 'completed',
      parent_run_id: '20260101-0000000000-1-1',
    });
    addRun('other', '20260101-0000040000-5-1', {
      status: 'running',
      pid: alive.pid!,
      pgid: alive.pid!,
    });
    const found = findActiveChildren(root, 'p', 'parent');
    expect(found.map((c) => `${c.taskId}/${c.runId}`)).toEqual(['child-a/20260101-0000010000-2-1']);
  });

  it('waits for children to finish, or times out naming them', async () => {
    addRun('parent', '20260101-0000000000-1-1', { status: 'completed', exit_code: 0 });
    expect(await waitForChildren({ root, projectId: 'p', taskId: 'parent' })).toEqual({
      kind: 'none',
    });

    const short = startGroup(0.3);
    addRun('kid', '20260101-0000010000-2-1', {
      status: 'running',
      parent_run_id: '20260101-0000000000-1-1',
      pgid: short.pid!,
    });
    let waitingFor: string[] = [];
    const finished = await waitForChildren({
      root,
      projectId: 'p',
      taskId: 'parent',
      pollMs: 20,
      timeoutMs: 20_000,
      onWaiting: (children) => (waitingFor = children.map((c) => c.runId)),
    });
    expect(waitingFor).toEqual(['20260101-0000010000-2-1']);
    expect(finished).toEqual({ kind: 'finished', count: 1 });

    const long = startGroup(30);
    addRun('kid2', '20260101-0000020000-3-1', {
      status: 'running',
      parent_run_id: '20260101-0000000000-1-1',
      pgid: long.pid!,
    });
    const timedOut = await waitForChildren({
      root,
      projectId: 'p',
      taskId: 'parent',
      pollMs: 20,
      timeoutMs: 100,
    });
    expect(timedOut.kind).toBe('timeout');
    expect(timedOut.kind === 'timeout' && timedOut.remaining.map((c) => c.taskId)).toEqual([
      'kid2',
    ]);
  });
});
