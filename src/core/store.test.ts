import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRunInfo, readRunInfo } from './run-info.js';
import { findRun, latestRunDir, listProjects, listRunDirs, listTasks, scanRuns } from './store.js';

const fixtureRoot = join(import.meta.dirname, '../../test/fixtures/reference/root');
const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('store scanning', () => {
  it('reads a root in the reference layout', () => {
    expect(listProjects(fixtureRoot)).toEqual(['demo']);
    expect(listTasks(fixtureRoot, 'demo')).toEqual(['task-20260101-000000-fixture']);
    const runs = scanRuns(fixtureRoot);
    expect(runs.map((r) => r.info.run_id)).toEqual([
      '20261126-1457060000-1789-1',
      '20261126-1457310000-2028-1',
      '20261126-1457320000-2040-1',
      '20261126-1457340000-2051-1',
      '20261126-1457400000-2402-1',
      '20261126-1457460000-2440-1',
      '20261126-1457500000-2473-1',
    ]);
    expect(findRun(fixtureRoot, '20261126-1457320000-2040-1')?.taskId).toBe(
      'task-20260101-000000-fixture',
    );
  });

  it('reads the seed layout, mixed layouts and skips our bookkeeping folders', () => {
    const root = tempDir();
    const task = join(root, 'proj', 'task-1');
    const sample = readRunInfo(
      join(fixtureRoot, 'demo/task-20260101-000000-fixture/runs/20261126-1457060000-1789-1'),
    );
    for (const runDir of [
      join(task, '20260101-0000000000-1-1'),
      join(task, 'runs', '20260101-0000000000-1-2'),
    ]) {
      mkdirSync(runDir, { recursive: true });
      writeFileSync(
        join(runDir, 'run-info.yaml'),
        formatRunInfo({ ...sample, run_id: runDir.slice(-24) }),
      );
    }
    writeFileSync(join(task, 'TASK.md'), 'x\n');
    mkdirSync(join(root, '.conductor', 'slots'), { recursive: true });
    mkdirSync(join(root, '_audit'));
    expect(listProjects(root)).toEqual(['proj']);
    expect(listRunDirs(task).map((r) => r.runId)).toEqual([
      '20260101-0000000000-1-1',
      '20260101-0000000000-1-2',
    ]);
    expect(latestRunDir(task)?.runDir).toBe(join(task, 'runs', '20260101-0000000000-1-2'));
    expect(listTasks(root, 'missing')).toEqual([]);
  });

  it('scans many tasks and runs across projects (10k-run timing lives in bench/store.ts)', () => {
    const root = tempDir();
    const text = formatRunInfo(
      readRunInfo(
        join(fixtureRoot, 'demo/task-20260101-000000-fixture/runs/20261126-1457060000-1789-1'),
      ),
    );
    for (let t = 0; t < 20; t += 1) {
      for (let r = 0; r < 25; r += 1) {
        const runDir = join(
          root,
          `p${t % 3}`,
          `task-${t}`,
          `20260101-00000${String(r).padStart(5, '0')}-1-${r}`,
        );
        mkdirSync(runDir, { recursive: true });
        writeFileSync(join(runDir, 'run-info.yaml'), text);
      }
    }
    const runs = scanRuns(root);
    expect(runs).toHaveLength(500);
    expect(new Set(runs.map((r) => r.runDir)).size).toBe(500);
    expect(scanRuns(root, { projectId: 'p1' })).toHaveLength(7 * 25);
    expect(scanRuns(root, { projectId: 'p1', taskId: 'task-4' }).map((r) => r.taskId)).toEqual(
      Array(25).fill('task-4'),
    );
  });
});
