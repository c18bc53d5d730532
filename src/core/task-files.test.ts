import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearDone,
  clearStopRequested,
  ensureTaskPrompt,
  formatLoopState,
  isDone,
  isLoopOwnerAlive,
  markDone,
  newLoopState,
  readCancelled,
  readLoopState,
  readStopRequested,
  readTaskConfig,
  readTaskPrompt,
  touchDir,
  writeCancelled,
  writeLoopState,
  writeStopRequested,
  writeTaskConfig,
} from './task-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'task-files-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('TASK.md', () => {
  it('is written once as prompt + newline and never overwritten', () => {
    const task = join(dir, 'p', 't');
    expect(ensureTaskPrompt(task, '  do the thing \n')).toBe(true);
    expect(readTaskPrompt(task)).toBe('do the thing\n');
    expect(ensureTaskPrompt(task, 'other')).toBe(false);
    expect(readTaskPrompt(task)).toBe('do the thing\n');
  });
});

describe('DONE', () => {
  it('marks and clears', () => {
    expect(isDone(dir)).toBe(false);
    markDone(dir);
    expect(readFileSync(join(dir, 'DONE'), 'utf8')).toBe('');
    expect(isDone(dir)).toBe(true);
    expect(clearDone(dir)).toBe(true);
    expect(isDone(dir)).toBe(false);
    expect(clearDone(dir)).toBe(false);
  });
});

describe('TASK-CONFIG.yaml', () => {
  it('round-trips depends_on', () => {
    expect(readTaskConfig(dir)).toEqual({ depends_on: [] });
    writeTaskConfig(dir, { depends_on: ['task-1', 'task-2'] });
    expect(readFileSync(join(dir, 'TASK-CONFIG.yaml'), 'utf8')).toBe(
      'depends_on:\n    - task-1\n    - task-2\n',
    );
    expect(readTaskConfig(dir)).toEqual({ depends_on: ['task-1', 'task-2'] });
  });

  it('reads the reference flow style and a single string', () => {
    writeFileSync(join(dir, 'TASK-CONFIG.yaml'), 'depends_on: [a, b]\n');
    expect(readTaskConfig(dir).depends_on).toEqual(['a', 'b']);
    writeFileSync(join(dir, 'TASK-CONFIG.yaml'), 'depends_on: a\n');
    expect(readTaskConfig(dir).depends_on).toEqual(['a']);
    writeFileSync(join(dir, 'TASK-CONFIG.yaml'), ': : not yaml [\n');
    expect(readTaskConfig(dir).depends_on).toEqual([]);
  });

  it('rejects unsafe dependency ids', () => {
    expect(() => writeTaskConfig(dir, { depends_on: ['../x'] })).toThrow(/invalid task id/);
  });
});

describe('STOP-REQUESTED and CANCELLED', () => {
  it('writes the reference formats', () => {
    writeStopRequested(dir, true);
    expect(readFileSync(join(dir, 'STOP-REQUESTED'), 'utf8')).toBe('permanent\n');
    expect(readStopRequested(dir)).toEqual({ permanent: true });
    writeStopRequested(dir, false);
    const text = readFileSync(join(dir, 'STOP-REQUESTED'), 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    expect(readStopRequested(dir)).toEqual({ permanent: false, requestedAt: text.trim() });
    expect(clearStopRequested(dir)).toBe(true);
    expect(readStopRequested(dir)).toBeUndefined();
  });

  it('keeps the cancellation reason', () => {
    expect(readCancelled(dir)).toBeUndefined();
    writeCancelled(dir, 'superseded: by task-2');
    const cancelled = readCancelled(dir);
    expect(cancelled?.reason).toBe('superseded: by task-2');
    expect(cancelled?.cancelledAt).toMatch(/^\d{4}-/);
    writeFileSync(join(dir, 'CANCELLED'), 'plain text reason\n');
    expect(readCancelled(dir)).toEqual({ reason: 'plain text reason' });
  });
});

describe('TASK-LOOP.yaml', () => {
  it('round-trips the loop state atomically (no temp files left)', () => {
    const state = newLoopState({ agent: 'codex', max_restarts: 5, depends_on: ['a'] });
    state.status = 'running';
    state.current_run_id = '20260101-0000000000-1-1';
    writeLoopState(dir, state);
    expect(readdirSync(dir)).toEqual(['TASK-LOOP.yaml']);
    expect(readLoopState(dir)).toEqual(state);
    const text = formatLoopState(state);
    expect(text.split('\n')[0]).toBe('status: running');
    expect(text).toContain('exit_code: -1\n');
    expect(text).not.toContain('error_summary');
  });

  it('treats a missing or broken file as no state', () => {
    expect(readLoopState(dir)).toBeUndefined();
    writeFileSync(join(dir, 'TASK-LOOP.yaml'), 'status: exploded\n');
    expect(readLoopState(dir)).toBeUndefined();
  });

  it('knows whether the owner is alive', () => {
    const state = newLoopState({ agent: 'x' });
    expect(isLoopOwnerAlive(state)).toBe(true);
    expect(isLoopOwnerAlive({ ...state, owner_pid: 0 })).toBe(false);
    expect(isLoopOwnerAlive({ ...state, owner_pid: 2 ** 22 + 12345 })).toBe(false);
    expect(isLoopOwnerAlive({ ...state, owner_host: 'elsewhere', owner_pid: 0 })).toBe(true);
  });
});

describe('touchDir', () => {
  it('makes the folder the newest entry of its parent for ls -t', () => {
    mkdirSync(join(dir, 'run-a'));
    mkdirSync(join(dir, 'run-b'));
    for (let i = 0; i < 20; i += 1) {
      writeFileSync(join(dir, 'TASK-MESSAGE-BUS.md'), `line ${i}\n`);
      touchDir(join(dir, 'run-a'));
      const first = execFileSync('ls', ['-t', dir], { encoding: 'utf8' }).split('\n')[0];
      expect(first).toBe('run-a');
    }
  });

  it('passes the most recent runs of a long task even when their mtime is ahead of the clock', () => {
    for (let i = 0; i < 30; i += 1)
      mkdirSync(join(dir, `20261126-12000000${String(i).padStart(2, '0')}-1-1`));
    const latest = join(dir, '20261126-1200000029-1-1');
    const ahead = (Date.now() + 5_000) / 1000;
    utimesSync(latest, ahead, ahead);
    const older = join(dir, '20261126-1200000003-1-1');
    touchDir(older);
    expect(statSync(older).mtimeMs).toBeGreaterThan(statSync(latest).mtimeMs);
    expect(execFileSync('ls', ['-t', dir], { encoding: 'utf8' }).split('\n')[0]).toBe(
      '20261126-1200000003-1-1',
    );
  });
});
