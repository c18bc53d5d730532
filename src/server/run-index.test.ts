import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRunInfo, parseRunInfo, type RunInfo } from '../core/run-info.js';
import { RunIndex, type IndexEvent } from './run-index.js';

const dirs: string[] = [];
const indexes: RunIndex[] = [];
afterEach(() => {
  for (const index of indexes.splice(0)) index.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'run-index-'));
  dirs.push(dir);
  return dir;
}

function writeRun(
  rootDir: string,
  project: string,
  task: string,
  runId: string,
  patch: Partial<RunInfo>,
): string {
  const dir = join(rootDir, project, task, runId);
  mkdirSync(dir, { recursive: true });
  const info = { ...parseRunInfo('', dir), version: 1, status: 'running', ...patch } as RunInfo;
  // Like the runner: write a temp file, rename it over run-info.yaml.
  writeFileSync(join(dir, 'run-info.tmp'), formatRunInfo(info));
  renameSync(join(dir, 'run-info.tmp'), join(dir, 'run-info.yaml'));
  return dir;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RunIndex', () => {
  it('scans both layouts, sorts newest first, and picks up changes made by other processes', async () => {
    const r = root();
    writeRun(r, 'p', 't', '20260101-1000000000-1-1', { status: 'completed', exit_code: 0 });
    mkdirSync(join(r, 'p', 'ref', 'runs'), { recursive: true });
    writeRun(r, 'p', join('ref', 'runs'), '20260101-1100000000-1-1', {
      status: 'failed',
      task_id: 'ref',
    });
    const index = new RunIndex({ root: r, reconcileMs: 60_000 });
    indexes.push(index);
    const events: IndexEvent[] = [];
    index.onEvent((e) => events.push(e));
    index.start();
    expect(index.runsNewestFirst().map((e) => e.info.run_id)).toEqual([
      '20260101-1100000000-1-1',
      '20260101-1000000000-1-1',
    ]);
    expect(index.task('p', 'ref')?.runIds).toEqual(['20260101-1100000000-1-1']);

    // A new project, task and run appear: watchers find them without a rescan.
    const runDir = writeRun(r, 'q', 'new', '20260102-1000000000-2-1', { status: 'running' });
    await until('new run indexed', () => index.runs.has('20260102-1000000000-2-1'));
    expect(index.runsNewestFirst()[0]?.info.run_id).toBe('20260102-1000000000-2-1');
    // Its run-info changes (the run ends): the active run's folder is watched.
    writeRun(r, 'q', 'new', '20260102-1000000000-2-1', { status: 'completed', exit_code: 0 });
    await until(
      'status change',
      () => index.runs.get('20260102-1000000000-2-1')?.info.status === 'completed',
    );
    expect(events.some((e) => e.kind === 'run' && e.run.info.status === 'completed')).toBe(true);
    // DONE appears in the task folder.
    writeFileSync(join(r, 'q', 'new', 'DONE'), '');
    await until('DONE seen', () => index.task('q', 'new')?.done === true);
    // The task is deleted.
    rmSync(join(r, 'q', 'new'), { recursive: true });
    await until(
      'task forgotten',
      () => index.task('q', 'new') === undefined && !index.runs.has('20260102-1000000000-2-1'),
    );
    expect(runDir).toContain('q/new');
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(index.eventsSince(seqs.at(-2)!)).toHaveLength(1);
    expect(index.eventsSince(index.lastSeq + 100)).toBeUndefined();
  });

  it('keeps watching only the most recently settled tasks; the periodic pass covers the rest', async () => {
    const r = root();
    for (let n = 1; n <= 5; n += 1)
      writeRun(r, 'p', `t${n}`, `20260101-100000000${n}-1-1`, { status: 'completed' });
    const index = new RunIndex({ root: r, reconcileMs: 100, settledWatchCap: 2 });
    indexes.push(index);
    index.start();
    expect(index.tasks.size).toBe(5);
    // The root, the project and two settled tasks; no run folder (all ended).
    expect(index.watchedFolders).toBe(4);
    // A new run in a task no longer watched: the periodic pass finds it and watches it again.
    writeRun(r, 'p', 't1', '20260102-1000000000-1-1', { status: 'running' });
    await until('run in an unwatched task', () => index.runs.has('20260102-1000000000-1-1'));
    await until('active task and run watched', () => index.watchedFolders === 6);
    writeRun(r, 'p', 't1', '20260102-1000000000-1-1', { status: 'completed' });
    await until('settled again', () => index.watchedFolders === 4);
  });

  it('without watchers, the periodic pass still finds new runs', async () => {
    const r = root();
    mkdirSync(join(r, 'p', 't'), { recursive: true });
    const index = new RunIndex({ root: r, reconcileMs: 50, watch: false });
    indexes.push(index);
    index.start();
    writeRun(r, 'p', 't', '20260101-1000000000-1-1', { status: 'running' });
    await until('periodic pass', () => index.runs.has('20260101-1000000000-1-1'));
  });
});
