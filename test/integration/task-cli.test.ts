/**
 * `run-agent task` as a real process (the built bin/run-agent) with the fake CLIs on PATH:
 * exit codes seen by `wait $PID` in a shell, unknown agent, SIGTERM, a child task started by
 * the agent, resume/cancel/delete, and list/status output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunInfo, readRunInfo, writeRunInfo } from '../../src/core/run-info.js';
import { listRunDirs } from '../../src/core/store.js';
import { readLoopState } from '../../src/core/task-files.js';
import { readBusSync } from '../../src/bus/reader.js';
import { BUILTIN_AGENTS } from '../../src/runner/agents/index.js';
import { adoptTaskLoop } from '../../src/runner/task-loop.js';
import { FAKE_AGENTS_DIR } from '../fixtures/agents/process-helper.js';
import { waitFor } from './runner-helpers.js';

const REPO = resolve(import.meta.dirname, '../..');
// The built CLIs (bin/ + dist/); overridable to test a private build while others rebuild dist/.
const PACKAGE = process.env.CONDUCTOR_E2E_PACKAGE ?? REPO;
const BIN = join(PACKAGE, 'bin');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'task-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  return { PATH: `${BIN}:${FAKE_AGENTS_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir };
}

function sh(
  script: string,
  timeoutMs = 60_000,
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', script], {
    cwd: dir,
    env: env(),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const task = (id: string): string => join(dir, 'runs', 'proj', id);

describe('run-agent task exit codes (background + wait)', () => {
  it('gives 0 / 1 / 2 / 3 through wait $PID', () => {
    const result = sh(`
      run-agent task --project-id proj --task-id ok --agent codex --prompt "fine" >/dev/null & P0=$!
      run-agent task --project-id proj --task-id r --agent codex --prompt "FAKE_EXIT=1" --max-retries 1 --retry-delay 0.05 >/dev/null 2>&1 & P1=$!
      run-agent task --project-id proj --task-id p --agent codex --prompt "FAKE_EXIT=2" >/dev/null 2>&1 & P2=$!
      run-agent task --project-id proj --task-id c --agent codex --prompt "FAKE_EXIT=3" >/dev/null 2>&1 & P3=$!
      wait $P0; echo "ok=$?"; wait $P1; echo "r=$?"; wait $P2; echo "p=$?"; wait $P3; echo "c=$?"
    `);
    expect(result.stdout).toBe('ok=0\nr=1\np=2\nc=3\n');
    expect(listRunDirs(task('r'))).toHaveLength(2);
    expect(listRunDirs(task('p'))).toHaveLength(1);
    expect(readLoopState(task('c'))).toMatchObject({ status: 'failed', exit_code: 3 });
  });

  it('names the available agents for an unknown agent (exit 3) and prints a generated task id', () => {
    const unknown = sh('run-agent task --project-id proj --agent nope --prompt hi');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(
      'Error: unknown agent "nope" (known: claude, codex, gemini, perplexity, xai, demo)\n',
    );
    const badConfig = sh(
      'printf "agents:\\n  x:\\n    bogus: 1\\n" > bad.yaml; run-agent task --project-id proj --agent codex --prompt hi --config bad.yaml',
    );
    expect(badConfig.code).toBe(3);
    expect(badConfig.stderr).toMatch(/^Error: config .*bad\.yaml.*bogus/);
    const generated = sh('run-agent task --project-id proj --agent codex --prompt "hello world"');
    expect(generated.code).toBe(0);
    const id = /task_id: (\S+)/.exec(generated.stdout)?.[1];
    expect(id).toMatch(/^task-\d{8}-\d{6}-hello-world$/);
    expect(existsSync(join(task(id!), 'DONE'))).toBe(true);
  });
});

describe('run-agent task inside an agent', () => {
  it("takes the project from JRUN_PROJECT_ID but starts a new task, not the caller's", () => {
    const result = sh(
      'JRUN_PROJECT_ID=proj JRUN_TASK_ID=caller run-agent task --agent codex --prompt "sub work" | head -1',
    );
    expect(result.stdout).toBe('project_id: proj\n');
    expect(existsSync(task('caller'))).toBe(false);
    const tasks = sh('run-agent list --project proj').stdout;
    expect(tasks).toMatch(/\ntask-\d{8}-\d{6}-sub-work +1 +completed +DONE/);
  });
});

describe('run-agent task rate limit', () => {
  it('refuses runs past rate_limits.per_agent.requests_per_day with exit 1', () => {
    const result = sh(`
      printf "rate_limits:\\n  per_agent:\\n    requests_per_day: 1\\n" > config.yaml
      run-agent task --project-id proj --task-id one --agent codex --prompt x >/dev/null; echo "one=$?"
      run-agent task --project-id proj --task-id two --agent codex --prompt x >/dev/null; echo "two=$?"
    `);
    expect(result.stdout).toBe('one=0\ntwo=1\n');
    expect(result.stderr).toMatch(
      /^Error: task proj\/two failed: rate limit reached for agent codex: 1\/1 runs today; resets at \d{4}-\d\d-\d\dT00:00:00Z \(in \S+\)\n$/,
    );
    expect(listRunDirs(task('two'))).toHaveLength(0);
  });
});

describe('run-agent task supervision', () => {
  it('SIGTERM stops the current run and exits 1 with the loop stopped', async () => {
    const child = spawn(
      join(BIN, 'run-agent'),
      [
        'task',
        '--project-id',
        'proj',
        '--task-id',
        'slow',
        '--agent',
        'codex',
        '--prompt',
        'FAKE_HANG',
      ],
      { cwd: dir, env: env(), stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(
      () => listRunDirs(task('slow')).some((r) => readRunInfo(r.runDir).status === 'running'),
      20_000,
      'the run to start',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    const run = readRunInfo(listRunDirs(task('slow'))[0]!.runDir);
    expect(run.status).toBe('stopped');
    expect(readLoopState(task('slow'))).toMatchObject({ status: 'stopped', exit_code: 1 });
  });

  it('run-agent stop on the task ends the loop without a retry', async () => {
    const child = spawn(
      join(BIN, 'run-agent'),
      [
        'task',
        '--project-id',
        'proj',
        '--task-id',
        'halt',
        '--agent',
        'codex',
        '--prompt',
        'FAKE_HANG',
      ],
      { cwd: dir, env: env(), stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(
      () => listRunDirs(task('halt')).some((r) => readRunInfo(r.runDir).status === 'running'),
      20_000,
      'the run to start',
    );
    expect(sh('run-agent stop --project proj --task halt').code).toBe(0);
    expect(await exited).toBe(1);
    expect(listRunDirs(task('halt'))).toHaveLength(1);
    expect(readLoopState(task('halt'))).toMatchObject({
      status: 'stopped',
      error_summary: 'stop requested',
    });
  });

  it('a loop whose process was SIGKILLed is adopted and finishes its live run truthfully', async () => {
    const child = spawn(
      join(BIN, 'run-agent'),
      [
        'task',
        '--project-id',
        'proj',
        '--task-id',
        'orphan',
        '--agent',
        'codex',
        '--prompt',
        'FAKE_SLOW=2',
      ],
      { cwd: dir, env: env(), stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    await waitFor(
      () => listRunDirs(task('orphan')).some((r) => readRunInfo(r.runDir).status === 'running'),
      20_000,
      'the run to start',
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The agent runs on in its own process group; a new owner adopts the loop.
    const savedPath = process.env.PATH;
    process.env.PATH = env().PATH;
    try {
      const result = await adoptTaskLoop({
        root: join(dir, 'runs'),
        projectId: 'proj',
        taskId: 'orphan',
        agent: BUILTIN_AGENTS.codex!,
      });
      expect(result).toMatchObject({ status: 'done', exitCode: 0, runs: [] });
    } finally {
      process.env.PATH = savedPath;
    }
    const runs = listRunDirs(task('orphan'));
    expect(runs).toHaveLength(1);
    expect(readRunInfo(runs[0]!.runDir)).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(readLoopState(task('orphan'))).toMatchObject({ status: 'done', owner_pid: process.pid });
  });

  it('waits for a child task the agent started in the background', () => {
    const result = sh(
      'run-agent task --project-id proj --task-id parent --agent codex --prompt "FAKE_CHILD_TASK=kid" --child-poll-interval 0.05',
    );
    expect(result.code).toBe(0);
    const parentRun = listRunDirs(task('parent'))[0]!;
    const kidRun = readRunInfo(listRunDirs(task('kid'))[0]!.runDir);
    expect(kidRun.parent_run_id).toBe(parentRun.runId);
    expect(existsSync(join(task('kid'), 'DONE'))).toBe(true);
    const info = readBusSync(join(task('parent'), 'TASK-MESSAGE-BUS.md'))
      .filter((m) => m.type === 'INFO')
      .map((m) => m.body);
    // The kid's `run-agent task` is still in the parent run's process group; its own run may
    // already be recorded too, depending on timing.
    const waiting = info.find((b) => b.startsWith('waiting for '));
    expect(waiting).toMatch(/^waiting for [12] children to complete: /);
    expect(waiting).toContain(`${parentRun.runId} (background processes)`);
    expect(info).toContain('task completed (all children finished)');
    // The kid's loop had ended (DONE + FACT) before the parent reported completion.
    expect(readLoopState(task('kid'))?.status).toBe('done');
  });
});

describe('resume, cancel, delete, list, status', () => {
  it('resume removes DONE and reruns with the restart prefix; cancel blocks; delete removes', () => {
    expect(
      sh('run-agent task --project-id proj --task-id t --agent codex --prompt "first"').code,
    ).toBe(0);
    const resumed = sh('run-agent resume --project-id proj --task-id t --agent codex');
    expect(resumed.code).toBe(0);
    const runs = listRunDirs(task('t'));
    expect(runs).toHaveLength(2);
    expect(readFileSync(join(runs[1]!.runDir, 'prompt.md'), 'utf8')).toContain(
      'Continue working on the following:\n\nfirst',
    );
    expect(readRunInfo(runs[1]!.runDir).previous_run_id).toBe(runs[0]!.runId);
    // `task resume` is the same command under `task` (options shared with the parent).
    const again = sh(
      'run-agent task resume --project proj --task t --agent codex --max-restarts 0',
    );
    expect(again.code).toBe(0);
    expect(listRunDirs(task('t'))).toHaveLength(3);

    expect(sh('run-agent task cancel --project proj --task t --reason "superseded"').code).toBe(0);
    const refused = sh('run-agent task --project-id proj --task-id t --agent codex');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('Error: task t is cancelled: superseded\n');

    expect(sh('run-agent task delete --project proj --task t').code).toBe(0);
    expect(existsSync(task('t'))).toBe(false);
    const missing = sh('run-agent task delete --project proj --task t');
    expect(missing.code).toBe(2);
  });

  it('heals a run left running by a dead process when listing', () => {
    // A task that is not DONE (a DONE task shows runs without an exit status as completed).
    expect(
      sh('run-agent task --project-id proj --task-id s --agent codex --prompt "FAKE_EXIT=2"').code,
    ).toBe(2);
    const runDir = join(task('s'), '20990101-0000000000-4194309-1');
    mkdirSync(runDir);
    writeRunInfo(runDir, {
      ...parseRunInfo('', runDir),
      version: 1,
      agent: 'codex',
      status: 'running',
      pid: 2 ** 22 + 5,
      pgid: 2 ** 22 + 5,
      start_time: new Date().toISOString(),
    });
    const listed = sh('run-agent list --project proj --task s').stdout.split('\n');
    expect(listed[2]).toMatch(/^20990101-0000000000-4194309-1 +crashed /);
    expect(readRunInfo(runDir).status).toBe('crashed');
    expect(existsSync(join(runDir, 'output.md'))).toBe(true);
  });

  it('refuses a second loop and a delete while the task runs; --force deletes', async () => {
    const child = spawn(
      join(BIN, 'run-agent'),
      [
        'task',
        '--project-id',
        'proj',
        '--task-id',
        'live',
        '--agent',
        'codex',
        '--prompt',
        'FAKE_HANG',
      ],
      { cwd: dir, env: env(), stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(
      () => listRunDirs(task('live')).some((r) => readRunInfo(r.runDir).status === 'running'),
      20_000,
      'the run to start',
    );
    const second = sh('run-agent task --project-id proj --task-id live --agent codex');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^Error: task live is already running \(loop pid \d+ on /);
    const refused = sh('run-agent task delete --project proj --task live');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/its loop is running .*; use --force\n$/);
    const forced = sh('run-agent task delete --project proj --task live --force');
    expect(forced.code).toBe(0);
    expect(existsSync(task('live'))).toBe(false);
    expect(await exited).toBe(1);
  });

  it('lists projects, tasks and runs and shows status like the reference', () => {
    expect(sh('run-agent task --project-id proj --task-id a --agent codex --prompt x').code).toBe(
      0,
    );
    expect(
      sh('run-agent task --project-id proj --task-id b --agent codex --prompt "FAKE_EXIT=2"').code,
    ).toBe(2);
    expect(sh('run-agent list').stdout).toBe('proj\n');
    const tasks = sh('run-agent list --project proj').stdout.split('\n');
    expect(tasks[0]).toBe('TASK_ID  RUNS  LATEST_STATUS  DONE  BLOCKED_BY  LAST_ACTIVITY');
    expect(tasks[1]).toMatch(/^a {8}1 {5}completed {6}DONE {2}- {11}\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(tasks[2]).toMatch(/^b {8}1 {5}failed {9}- {5}- {11}\d{4}/);
    const failedOnly = sh('run-agent list --project proj --status failed').stdout;
    expect(
      failedOnly
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['b']);
    const runs = sh('run-agent list --project proj --task a').stdout.split('\n');
    expect(runs[0]).toMatch(/^RUN_ID +STATUS {5}EXIT_CODE {2}STARTED {14}DURATION$/);
    expect(runs[1]).toMatch(
      /^\d{8}-\d{10}-\d+-1 +completed {2}0 {10}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\d+s$/,
    );
    const status = sh('run-agent status --project proj --concise').stdout.split('\n');
    expect(status[0]).toMatch(/^a\tcompleted\t0\t\S+\ttrue\tfalse$/);
    expect(status[1]).toMatch(/^b\tfailed\t2\t\S+\tfalse\tfalse$/);
    const json = JSON.parse(sh('run-agent status --project proj --task a --json').stdout) as {
      tasks: { task_id: string; status: string; done: boolean }[];
    };
    expect(json.tasks).toMatchObject([{ task_id: 'a', status: 'done', done: true }]);
  });
});
