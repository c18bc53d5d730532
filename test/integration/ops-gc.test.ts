/** `conductor gc` on a real root through the real CLI: what is deleted, kept and summarised. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeRunInfo, ZERO_TIME, type RunStatus } from '../../src/core/run-info.js';
import { runConductor } from '../helpers/server-process.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-gc-'));
  root = join(dir, 'root');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

function addRun(
  project: string,
  task: string,
  n: number,
  status: RunStatus,
  endedDaysAgo: number,
): string {
  const runId = `20261101-12000000${String(n).padStart(2, '0')}-77-1`;
  const taskPath = join(root, project, task);
  const runDir = join(taskPath, runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(taskPath, 'TASK.md'), 'prompt\n');
  writeFileSync(join(runDir, 'agent-stdout.txt'), 'x'.repeat(1000));
  const end =
    status === 'running' ? ZERO_TIME : new Date(Date.now() - endedDaysAgo * DAY).toISOString();
  writeRunInfo(runDir, {
    version: 1,
    run_id: runId,
    project_id: project,
    task_id: task,
    agent: 'claude',
    pid: 1,
    pgid: 1,
    start_time: new Date(Date.now() - (endedDaysAgo + 1) * DAY).toISOString(),
    end_time: end,
    exit_code: status === 'completed' ? 0 : 1,
    status,
    cwd: '/tmp',
    prompt_path: '',
    output_path: '',
    stdout_path: '',
    stderr_path: '',
    commandline: 'claude -p',
    agent_version: '2',
    ...(status === 'failed' ? { error_summary: 'agent exited with code 1' } : {}),
  });
  if (status === 'running') {
    // A run started long ago and still going must survive any cut-off.
    const old = new Date(Date.now() - 30 * DAY);
    utimesSync(runDir, old, old);
  }
  return runDir;
}

describe('conductor gc', () => {
  it('deletes old finished runs only, keeps task files and writes one summary line per run', async () => {
    const oldDone = addRun('p', 't1', 1, 'completed', 10);
    const oldFailed = addRun('p', 't1', 2, 'failed', 9);
    const fresh = addRun('p', 't1', 3, 'completed', 1);
    const running = addRun('p', 't2', 4, 'running', 0);
    const otherProject = addRun('q', 't3', 5, 'completed', 20);
    writeFileSync(join(root, 'p', 't1', 'DONE'), '');

    const dry = await runConductor(['gc', '--root', root, '--older-than', '7d', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete 3 runs');
    expect([oldDone, oldFailed, otherProject].every(existsSync)).toBe(true);

    const keepFailed = await runConductor([
      'gc',
      '--root',
      root,
      '--older-than',
      '7d',
      '--keep-failed',
      '--project',
      'p',
    ]);
    expect(keepFailed.code).toBe(0);
    expect(keepFailed.stdout).toMatch(/deleted 1 runs .*kept 3/);
    expect(existsSync(oldDone)).toBe(false);
    expect(existsSync(oldFailed)).toBe(true);
    expect(existsSync(otherProject)).toBe(true);

    const all = await runConductor(['gc', '--root', root, '--older-than', '168h']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/deleted 2 runs/);
    expect(existsSync(oldFailed)).toBe(false);
    expect(existsSync(otherProject)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(join(root, 'p', 't1', 'DONE'))).toBe(true);
    expect(existsSync(join(root, 'p', 't1', 'TASK.md'))).toBe(true);

    const summaryText = readFileSync(join(root, 'p', 't1', 'GC-SUMMARY.md'), 'utf8');
    expect(summaryText.startsWith('# Runs removed by conductor gc\n')).toBe(true);
    const summary = summaryText.split('\n').filter((line) => line.startsWith('- '));
    expect(summary).toHaveLength(2);
    expect(summary[0]).toMatch(
      /^- 20261101-1200000001-77-1 status=completed exit_code=0 agent=claude /,
    );
    expect(summary[1]).toMatch(/status=failed exit_code=1 .* error="agent exited with code 1"$/);
  });

  it('rejects a bad age and a missing root with one line', async () => {
    const bad = await runConductor(['gc', '--root', root, '--older-than', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Error: invalid --older-than "soon"/);
    const missing = await runConductor(['gc', '--root', root, '--older-than', '7d']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`Error: runs root not found: ${root}`);
  });
});
