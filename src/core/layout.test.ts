import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findRunDir,
  resolveInside,
  resolveRoot,
  runDirContext,
  runsParentDir,
  taskDir,
} from './layout.js';

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('layout', () => {
  it('resolves the root: --root > CONDUCTOR_ROOT > config > ./runs', () => {
    const cwd = '/work/here';
    expect(resolveRoot({ cwd, env: {} })).toBe('/work/here/runs');
    expect(resolveRoot({ cwd, env: {}, configRunsDir: '/data/cfg' })).toBe('/data/cfg');
    expect(
      resolveRoot({ cwd, env: { CONDUCTOR_ROOT: 'env-root' }, configRunsDir: '/data/cfg' }),
    ).toBe('/work/here/env-root');
    expect(resolveRoot({ cwd, flag: '~/r', env: { CONDUCTOR_ROOT: 'x', HOME: '/home/u' } })).toBe(
      '/home/u/r',
    );
  });

  it('writes the seed layout, keeps a task that has runs/ in the reference layout', () => {
    const root = tempDir();
    const seedTask = taskDir(root, 'p', 'seed-task');
    expect(runsParentDir(seedTask)).toBe(seedTask);
    expect(runsParentDir(seedTask, 'reference')).toBe(join(seedTask, 'runs'));
    const refTask = taskDir(root, 'p', 'ref-task');
    mkdirSync(join(refTask, 'runs', '20260101-0000000000-1-1'), { recursive: true });
    expect(runsParentDir(refTask)).toBe(join(refTask, 'runs'));
    expect(findRunDir(refTask, '20260101-0000000000-1-1')).toBe(
      join(refTask, 'runs', '20260101-0000000000-1-1'),
    );
    expect(runDirContext(join(refTask, 'runs', '20260101-0000000000-1-1'))).toEqual({
      taskDir: refTask,
      runId: '20260101-0000000000-1-1',
    });
    // A seed-layout task that happens to be named "runs" is still a task.
    const runsTask = taskDir(root, 'p', 'runs');
    mkdirSync(join(runsTask, '20260101-0000000000-1-2'), { recursive: true });
    writeFileSync(join(runsTask, 'TASK.md'), 'x\n');
    expect(runDirContext(join(runsTask, '20260101-0000000000-1-2')).taskDir).toBe(runsTask);
  });

  it('refuses paths that escape the root', () => {
    const root = '/srv/runs';
    expect(resolveInside(root, 'p/t/output.md')).toBe('/srv/runs/p/t/output.md');
    expect(resolveInside(root, '/srv/runs/p')).toBe('/srv/runs/p');
    for (const bad of ['../etc/passwd', 'p/../../x', '/etc/passwd', '/srv/runs-other/x', 'a\0b']) {
      expect(() => resolveInside(root, bad)).toThrow(/invalid path/);
    }
    expect(() => taskDir(root, 'p', '../t')).toThrow(/invalid task id/);
  });
});
