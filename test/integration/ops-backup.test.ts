/**
 * Backup while runs are active: writer processes keep rewriting run-info.yaml, appending bus
 * records (with rotation) and logs while backups are taken; every archive restores into an
 * empty root where each run-info.yaml and bus file parses. Also torn bus tails, retention and
 * the CLI's exit codes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBus } from '../../src/bus/record.js';
import { appendMessageSync } from '../../src/bus/writer.js';
import { readRunInfo, writeRunInfo, ZERO_TIME, type RunInfo } from '../../src/core/run-info.js';
import { applyRetention, createBackup } from '../../src/ops/backup.js';
import { restoreBackup } from '../../src/ops/restore.js';
import { REPO_ROOT } from '../fixtures/agents/process-helper.js';
import { runConductor } from '../helpers/server-process.js';

const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const src = (path: string): string => pathToFileURL(join(REPO_ROOT, 'src', path)).href;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-backup-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runInfo(project: string, task: string, runId: string, runDir: string): RunInfo {
  return {
    version: 1,
    run_id: runId,
    project_id: project,
    task_id: task,
    agent: 'codex',
    pid: 1,
    pgid: 1,
    start_time: '2026-11-20T10:00:00Z',
    end_time: ZERO_TIME,
    exit_code: -1,
    status: 'running',
    cwd: '/tmp',
    prompt_path: join(runDir, 'prompt.md'),
    output_path: join(runDir, 'output.md'),
    stdout_path: join(runDir, 'agent-stdout.txt'),
    stderr_path: join(runDir, 'agent-stderr.txt'),
    commandline: 'codex exec',
    agent_version: '1',
  };
}

/** A root with `runs` active runs, each with run-info, logs and a task bus. */
function seedRoot(root: string, runs: number): string[] {
  const runDirs: string[] = [];
  for (let i = 0; i < runs; i++) {
    const project = `proj${i % 2}`;
    const task = `task-${i}`;
    const runId = `20261120-100000000${i}-4242-1`;
    const runDir = join(root, project, task, runId);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(root, project, task, 'TASK.md'), `do thing ${i}\n`);
    writeRunInfo(runDir, runInfo(project, task, runId, runDir));
    writeFileSync(join(runDir, 'agent-stdout.txt'), 'start\n');
    appendMessageSync(join(root, project, task, 'TASK-MESSAGE-BUS.md'), {
      project_id: project,
      task_id: task,
      body: 'seed',
    });
    runDirs.push(runDir);
  }
  return runDirs;
}

/** A child process that rewrites run-info, appends bus records (rotating) and logs until killed. */
function startWriter(root: string, runDirs: string[], seed: number): ChildProcess {
  const script = join(dir, `writer-${seed}.ts`);
  writeFileSync(
    script,
    `
import { appendFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { updateRunInfo } from ${JSON.stringify(src('core/run-info.ts'))};
import { appendMessageSync } from ${JSON.stringify(src('bus/writer.ts'))};
const runDirs = ${JSON.stringify(runDirs)};
let n = ${seed * 100000};
for (;;) {
  for (const runDir of runDirs) {
    n++;
    updateRunInfo(runDir, (info) => {
      info.exit_code = n;
      // Changing sizes: a torn copy would show up as a mangled or truncated value.
      info.error_summary = 'e'.repeat(n % 700);
    });
    const taskDir = dirname(runDir);
    appendMessageSync(join(taskDir, 'TASK-MESSAGE-BUS.md'), {
      project_id: basename(dirname(taskDir)),
      task_id: basename(taskDir),
      body: 'progress ' + n + '\\n---\\n' + 'x'.repeat(n % 300),
    }, { rotateAtBytes: 64 * 1024 });
    appendFileSync(join(runDir, 'agent-stdout.txt'), 'line ' + n + '\\n');
  }
}
`,
  );
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return child;
}

/** Until every run has been rewritten at least once by a writer. */
async function waitForProgress(runDirs: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (runDirs.some((runDir) => readRunInfo(runDir).exit_code < 0)) {
    if (Date.now() > deadline) throw new Error('writers made no progress');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('backup while runs are active', () => {
  it('archives never hold a torn run-info.yaml or bus record and restore verifies them', async () => {
    const root = join(dir, 'root');
    const runDirs = seedRoot(root, 6);
    const writers = [startWriter(root, runDirs, 1), startWriter(root, runDirs, 2)];
    try {
      await waitForProgress(runDirs);
      const archives: string[] = [];
      for (let i = 0; i < 3; i++) {
        const result = await createBackup({ root, outDir: join(dir, 'backups') });
        expect(result.manifest.runInfos).toBe(6);
        expect(result.manifest.busFiles).toBeGreaterThanOrEqual(6);
        archives.push(result.archive);
      }
      expect(new Set(archives).size).toBe(3);
      for (const [i, archive] of archives.entries()) {
        const target = join(dir, `restored-${i}`);
        const restored = await restoreBackup({ archive, root: target });
        expect(restored.verified.problems).toEqual([]);
        for (const runDir of runDirs) {
          const copy = join(target, runDir.slice(root.length + 1));
          const info = readRunInfo(copy);
          expect(info.status, copy).toBe('running');
          expect(info.exit_code, copy).toBeGreaterThan(0);
          expect(info.error_summary ?? '').toBe('e'.repeat(info.exit_code % 700));
          const taskDir = join(copy, '..');
          const busFiles = readdirSync(taskDir).filter((f) => f.startsWith('TASK-MESSAGE-BUS.md'));
          for (const bus of busFiles) {
            const messages = parseBus(readFileSync(join(taskDir, bus), 'utf8'));
            for (const m of messages) expect(m.body).toMatch(/^(seed|progress \d+\n---\nx*)$/);
          }
        }
      }
    } finally {
      for (const w of writers) w.kill('SIGKILL');
    }
  });

  it('leaves out a record torn inside its header and still verifies', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'p', 't'), { recursive: true });
    const bus = join(root, 'p', 't', 'TASK-MESSAGE-BUS.md');
    appendMessageSync(bus, { project_id: 'p', task_id: 't', body: 'whole' });
    writeFileSync(bus, `${readFileSync(bus, 'utf8')}\n---\nmsg_id: MSG-2026`, { flag: 'w' });
    const result = await createBackup({ root, outDir: join(dir, 'b') });
    expect(result.manifest.droppedBusBytes).toBeGreaterThan(0);
    expect(result.manifest.busMessages).toBe(1);
    const restored = await restoreBackup({ archive: result.archive, root: join(dir, 'r') });
    expect(
      parseBus(readFileSync(join(dir, 'r', 'p', 't', 'TASK-MESSAGE-BUS.md'), 'utf8')),
    ).toHaveLength(1);
    expect(restored.verified.busMessages).toBe(1);
  });

  it('skips live slot/queue locks and temp files', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, '.conductor', 'slots'), { recursive: true });
    writeFileSync(join(root, '.conductor', 'slots', 'slot-01.lock'), '');
    mkdirSync(join(root, 'p', 't'), { recursive: true });
    writeFileSync(join(root, 'p', 't', 'TASK.md'), 'x');
    writeFileSync(join(root, 'p', 't', 'TASK-LOOP.abc123.yaml.tmp'), 'half');
    const result = await createBackup({ root, outDir: join(dir, 'b') });
    await restoreBackup({ archive: result.archive, root: join(dir, 'r') });
    expect(existsSync(join(dir, 'r', 'p', 't', 'TASK.md'))).toBe(true);
    expect(existsSync(join(dir, 'r', 'p', 't', 'TASK-LOOP.abc123.yaml.tmp'))).toBe(false);
    expect(existsSync(join(dir, 'r', '.conductor', 'slots'))).toBe(false);
  });
});

describe('restore safety', () => {
  it('extracts only plain files and folders under root/, never links from a crafted archive', async () => {
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'root', 'p'), { recursive: true });
    writeFileSync(join(stage, 'root', 'p', 'note.txt'), 'hello');
    symlinkSync('/etc/passwd', join(stage, 'root', 'p', 'passwd'));
    writeFileSync(
      join(stage, 'manifest.json'),
      JSON.stringify({
        format: 'conductor-backup/1',
        files: 1,
        runInfos: 0,
        busFiles: 0,
        busMessages: 0,
      }),
    );
    const archive = join(dir, 'crafted.tar.gz');
    await create({ gzip: true, file: archive, cwd: stage }, ['manifest.json', 'root']);
    const target = join(dir, 'r');
    await restoreBackup({ archive, root: target });
    expect(readFileSync(join(target, 'p', 'note.txt'), 'utf8')).toBe('hello');
    expect(existsSync(join(target, 'p', 'passwd'))).toBe(false);
    expect(existsSync(join(target, 'manifest.json'))).toBe(false);
  });
});

describe('retention', () => {
  it('keeps the newest N and drops archives older than the max age', () => {
    const out = join(dir, 'b');
    mkdirSync(out);
    const names = [
      'runs-20261001-020000.tar.gz',
      'runs-20261120-020000.tar.gz',
      'runs-20261124-020000.tar.gz',
      'runs-20261125-020000.tar.gz',
      'runs-20261126-020000.tar.gz',
      'notes.txt',
    ];
    for (const name of names) writeFileSync(join(out, name), 'x');
    const now = new Date('2026-11-26T12:00:00Z');
    const byAge = applyRetention(out, { maxAgeDays: 30, now });
    expect(byAge.map((p) => p.slice(out.length + 1))).toEqual(['runs-20261001-020000.tar.gz']);
    const byCount = applyRetention(out, { keep: 2, now });
    expect(byCount.map((p) => p.slice(out.length + 1)).sort()).toEqual([
      'runs-20261120-020000.tar.gz',
      'runs-20261124-020000.tar.gz',
    ]);
    expect(readdirSync(out).sort()).toEqual([
      'notes.txt',
      'runs-20261125-020000.tar.gz',
      'runs-20261126-020000.tar.gz',
    ]);
  });
});

describe('conductor backup/restore CLI', () => {
  it('writes a timestamped archive, restores it, and refuses a non-empty root (exit 2)', async () => {
    const root = join(dir, 'root');
    seedRoot(root, 2);
    const out = join(dir, 'backups');
    const backup = await runConductor(['backup', '--root', root, '--out', out, '--keep', '3']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const [archive] = readdirSync(out);
    expect(archive).toMatch(/^runs-\d{8}-\d{6}\.tar\.gz$/);
    expect(backup.stdout).toContain(`backup ${join(out, archive!)}`);

    const target = join(dir, 'restored');
    const restore = await runConductor(['restore', join(out, archive!), '--root', target]);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/2 run-info\.yaml and 2 bus files \(2 messages\) verified/);

    const again = await runConductor(['restore', join(out, archive!), '--root', target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^Error: refusing to restore into .*: it is not empty/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    const missing = await runConductor([
      'restore',
      join(out, 'nope.tar.gz'),
      '--root',
      join(dir, 'x'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Error: backup not found: /);
  });
});
