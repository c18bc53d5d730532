import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunInfo, writeRunInfo } from '../core/run-info.js';
import {
  markDone,
  newLoopState,
  writeCancelled,
  writeLoopState,
  writeTaskConfig,
} from '../core/task-files.js';
import {
  assertNoDependencyCycle,
  blockedBy,
  dependencyState,
  normalizeDependsOn,
  waitForDependencies,
} from './dependencies.js';

let root: string;
const project = 'proj';
const task = (id: string): string => join(root, project, id);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'deps-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('normalizeDependsOn', () => {
  it('dedupes, trims and rejects self and unsafe ids', () => {
    expect(normalizeDependsOn('t', [' a', 'b', 'a', ''])).toEqual(['a', 'b']);
    expect(() => normalizeDependsOn('t', ['t'])).toThrow('task t cannot depend on itself');
    expect(() => normalizeDependsOn('t', ['../etc'])).toThrow(/invalid task id/);
  });
});

describe('assertNoDependencyCycle', () => {
  it('finds cycles through other tasks and accepts a DAG', () => {
    writeTaskConfig(task('a'), { depends_on: ['b'] });
    writeTaskConfig(task('b'), { depends_on: ['c'] });
    expect(() => assertNoDependencyCycle(root, project, 'c', ['a'])).toThrow(
      'dependency cycle: c -> a -> b -> c',
    );
    expect(() => assertNoDependencyCycle(root, project, 'd', ['a', 'b'])).not.toThrow();
  });
});

describe('dependencyState', () => {
  it('is pending until DONE and the loop has finished', () => {
    expect(dependencyState(root, project, 'a')).toEqual({ kind: 'pending', reason: 'not started' });
    const loop = newLoopState({ agent: 'codex', status: 'running' });
    writeLoopState(task('a'), loop);
    markDone(task('a'));
    expect(dependencyState(root, project, 'a').kind).toBe('pending');
    writeLoopState(task('a'), { ...loop, status: 'done', exit_code: 0 });
    expect(dependencyState(root, project, 'a')).toEqual({ kind: 'done' });
    expect(blockedBy(root, project, ['a', 'b'])).toEqual(['b']);
  });

  it('waits while a run of a DONE dependency is still running', async () => {
    const group = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const runDir = join(task('a'), '20260101-0000000000-1-1');
      mkdirSync(runDir, { recursive: true });
      writeRunInfo(runDir, {
        ...parseRunInfo('', runDir),
        version: 1,
        status: 'running',
        pid: group.pid!,
        pgid: group.pid!,
      });
      markDone(task('a'));
      expect(dependencyState(root, project, 'a')).toEqual({ kind: 'pending', reason: 'finishing' });
    } finally {
      group.kill('SIGKILL');
      await new Promise((resolve) => group.once('exit', resolve));
    }
    expect(dependencyState(root, project, 'a')).toEqual({ kind: 'done' });
  });

  it('treats a DONE left by a dead loop owner as done', () => {
    writeLoopState(task('a'), newLoopState({ agent: 'x', status: 'running', owner_pid: 0 }));
    markDone(task('a'));
    expect(dependencyState(root, project, 'a')).toEqual({ kind: 'done' });
  });

  it('fails on a failed loop or a cancellation', () => {
    writeLoopState(task('a'), {
      ...newLoopState({ agent: 'x' }),
      status: 'failed',
      exit_code: 2,
      error_summary: 'agent usage error',
    });
    expect(dependencyState(root, project, 'a')).toEqual({
      kind: 'failed',
      reason: 'dependency a failed (exit 2): agent usage error',
    });
    writeCancelled(task('b'), 'not needed');
    expect(dependencyState(root, project, 'b')).toEqual({
      kind: 'failed',
      reason: 'dependency b was cancelled: not needed',
    });
  });
});

describe('waitForDependencies', () => {
  it('waits until the dependency is done, reporting the pending set once per change', async () => {
    const seen: string[] = [];
    const waiting = waitForDependencies({
      root,
      projectId: project,
      dependsOn: ['a'],
      pollMs: 10,
      onPending: (pending) => seen.push(pending.map((p) => p.id).join(',')),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    markDone(task('a'));
    await expect(waiting).resolves.toBe('satisfied');
    expect(seen).toEqual(['a']);
  });

  it('throws a permanent error when a dependency fails, stops on own DONE or abort', async () => {
    writeLoopState(task('a'), { ...newLoopState({ agent: 'x' }), status: 'failed', exit_code: 2 });
    await expect(
      waitForDependencies({ root, projectId: project, dependsOn: ['a'], pollMs: 10 }),
    ).rejects.toMatchObject({ family: 'permanent', message: 'dependency a failed (exit 2)' });
    await expect(
      waitForDependencies({
        root,
        projectId: project,
        dependsOn: ['b'],
        pollMs: 10,
        isSelfDone: () => true,
      }),
    ).resolves.toBe('self-done');
    const controller = new AbortController();
    const waiting = waitForDependencies({
      root,
      projectId: project,
      dependsOn: ['b'],
      pollMs: 10_000,
      signal: controller.signal,
    });
    controller.abort();
    await expect(waiting).resolves.toBe('aborted');
  });
});
