/**
 * `run-agent job`, `stop` and `output` as a user runs them: real CLI processes, the fake
 * codex CLI on PATH, exit codes and one-line errors, files on disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo, tryReadRunInfo } from '../../src/core/run-info.js';
import {
  fakePath,
  REPO_ROOT,
  RUN_AGENT_FROM_SOURCE,
  runProcess,
  tempRoot,
  waitFor,
} from '../integration/runner-helpers.js';

let root: string;
let cleanup: () => void;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  ({ root, cleanup } = tempRoot('job-cli-'));
  env = { ...process.env, PATH: fakePath(), IS_SANDBOX: '1' };
  for (const name of Object.keys(env)) if (name.startsWith('JRUN_')) delete env[name];
  delete env.CONDUCTOR_ROOT;
});
afterEach(() => cleanup());

function runAgent(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return runProcess([...RUN_AGENT_FROM_SOURCE, ...args], {
    env: { ...env, ...extraEnv },
    cwd: root,
    timeoutMs: 60_000,
  });
}

const scope = (task = 'task-1'): string[] => ['--root', root, '--project', 'proj', '--task', task];

function onlyRunDir(task = 'task-1'): string {
  const taskDir = join(root, 'proj', task);
  const runs = readdirSync(taskDir).filter((n) => /^\d{8}-/.test(n));
  expect(runs).toHaveLength(1);
  return join(taskDir, runs[0]!);
}

describe('run-agent job', () => {
  it('counts every run against rate_limits.per_agent.requests_per_day', async () => {
    const config = join(root, 'limits.yaml');
    writeFileSync(config, 'rate_limits:\n  per_agent:\n    requests_per_day: 1\n');
    const job = (task: string) =>
      runAgent(['job', ...scope(task), '--config', config, '--agent', 'codex', '--prompt', 'hi']);
    expect((await job('first')).code).toBe(0);
    const limited = await job('second');
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(
      /^Error: rate limit reached for agent codex: 1\/1 runs today; resets at /,
    );
    expect(existsSync(join(root, 'proj', 'second'))).toBe(false);
  });

  it('runs the agent, prints where the run lives, exits 0', async () => {
    const result = await runAgent(['job', ...scope(), '--agent', 'codex', '--prompt', 'say hi']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const runDir = onlyRunDir();
    expect(result.stdout).toContain(`run_dir: ${runDir}\n`);
    expect(result.stdout).toContain('status: completed (exit code 0)');
    const info = readRunInfo(runDir);
    expect(info).toMatchObject({ status: 'completed', agent: 'codex', exit_code: 0 });
    expect(info.agent_version).toBe('codex-cli 0.171.0');
    expect(info.input_tokens).toBeGreaterThan(0);
    expect(readFileSync(join(runDir, 'output.md'), 'utf8')).toContain('success');
  });

  it.each([1, 2, 3])('exits %i when the agent exits %i, with one error line', async (code) => {
    const result = await runAgent([
      'job',
      ...scope(),
      '--agent',
      'codex',
      '--prompt',
      `fail FAKE_EXIT=${code}`,
    ]);
    expect(result.code).toBe(code);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Error: run \S+ failed: /);
    const runDir = onlyRunDir();
    expect(readRunInfo(runDir).exit_code).toBe(code);
    expect(readFileSync(join(runDir, 'output.md'), 'utf8')).toContain('# Task Failed');
    // The seed's error-handling recipe reads the child's stderr with a glob.
    expect(readFileSync(join(runDir, 'agent-stderr.txt'), 'utf8')).not.toBe('');
  });

  it('times out a hanging agent: exit 1, status timeout', async () => {
    const result = await runAgent([
      'job',
      ...scope(),
      '--agent',
      'codex',
      '--prompt',
      'FAKE_HANG',
      '--timeout',
      '1s',
      '--stop-grace',
      '2s',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('timed out');
    expect(readRunInfo(onlyRunDir())).toMatchObject({
      status: 'timeout',
      error_summary: 'timed out',
    });
  });

  it('-f streams the agent stdout while it runs', async () => {
    const result = await runAgent([
      'job',
      ...scope(),
      '--agent',
      'codex',
      '--prompt',
      'FAKE_SLOW=1',
      '-f',
    ]);
    expect(result.code).toBe(0);
    const stdout = readFileSync(join(onlyRunDir(), 'agent-stdout.txt'), 'utf8');
    expect(result.stdout).toContain(stdout);
  });

  it('takes ids from the JRUN_* environment and records the parent run', async () => {
    const result = await runAgent(
      ['job', '--root', root, '--agent', 'codex', '--prompt', 'child work'],
      {
        JRUN_PROJECT_ID: 'proj',
        JRUN_TASK_ID: 'task-9',
        JRUN_ID: 'parent-run-1',
      },
    );
    expect(result.code).toBe(0);
    expect(readRunInfo(onlyRunDir('task-9')).parent_run_id).toBe('parent-run-1');
  });

  it('a missing executable or token_file is a configuration error (exit 3)', async () => {
    const ghostConfig = join(root, 'ghost.yaml');
    writeFileSync(
      ghostConfig,
      JSON.stringify({
        agents: { ghost: { type: 'command', command: ['/nonexistent/agent-bin'] } },
      }),
    );
    const ghost = await runAgent([
      'job',
      ...scope(),
      '--config',
      ghostConfig,
      '--agent',
      'ghost',
      '--prompt',
      'x',
    ]);
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toBe(
      'Error: agent ghost: executable "/nonexistent/agent-bin" not found\n',
    );
    expect(existsSync(join(root, 'proj', 'task-1'))).toBe(false);
    const lockedConfig = join(root, 'locked.yaml');
    writeFileSync(
      lockedConfig,
      JSON.stringify({
        agents: { locked: { type: 'claude', token_file: join(root, 'no-such-token') } },
      }),
    );
    const locked = await runAgent([
      'job',
      ...scope(),
      '--config',
      lockedConfig,
      '--agent',
      'locked',
      '--prompt',
      'x',
    ]);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toMatch(/^Error: .*no-such-token.*\n$/);
  });

  it('an agent can post to its task bus with the run-agent on its PATH', async () => {
    const config = join(root, 'config.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        agents: {
          poster: {
            type: 'command',
            command: [
              '/bin/sh',
              '-c',
              'run-agent bus post --type FACT --body "posted from inside"',
            ],
          },
        },
      }),
    );
    expect(existsSync(join(REPO_ROOT, 'dist', 'run-agent.cjs'))).toBe(true);
    const result = await runAgent([
      'job',
      ...scope(),
      '--config',
      config,
      '--agent',
      'poster',
      '--prompt',
      'post',
    ]);
    expect(result.code).toBe(0);
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toMatch(
      /type: FACT\nproject_id: proj\ntask_id: task-1\nrun_id: \S+\n---\nposted from inside\n/,
    );
    // A loaded config.yaml tells the agent where the server is.
    expect(readFileSync(join(onlyRunDir(), 'prompt.md'), 'utf8')).toContain(
      'JRUN_CONDUCTOR_URL=http://127.0.0.1:8080\n',
    );
  });
});

describe('run-agent stop and output', () => {
  it('stops a running job from another process; the job exits 1 and the run is stopped', async () => {
    const [node, ...args] = RUN_AGENT_FROM_SOURCE;
    const job = spawn(
      node!,
      [...args, 'job', ...scope(), '--agent', 'codex', '--prompt', 'FAKE_HANG'],
      {
        env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      job.once('exit', (code) => resolve(code)),
    );
    const taskDir = join(root, 'proj', 'task-1');
    await waitFor(
      () =>
        existsSync(taskDir) &&
        readdirSync(taskDir).some(
          (n) => /^\d{8}-/.test(n) && tryReadRunInfo(join(taskDir, n))?.status === 'running',
        ),
      20_000,
      'job running',
    );
    const stop = await runAgent(['stop', ...scope(), '--grace', '3s', '--no-restart']);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^run \S+ stopped\n$/);
    expect(await exited).toBe(1);
    const runDir = onlyRunDir();
    expect(readRunInfo(runDir)).toMatchObject({ status: 'stopped' });
    expect(readFileSync(join(taskDir, 'STOP-REQUESTED'), 'utf8')).toBe('permanent\n');
    expect(readFileSync(join(runDir, 'output.md'), 'utf8')).toContain('# Task Failed');
  });

  it('prints output.md, stderr, a tail, and follows stdout to the end', async () => {
    await runAgent(['job', ...scope(), '--agent', 'codex', '--prompt', 'FAKE_STDERR']);
    const runDir = onlyRunDir();
    const output = await runAgent(['output', ...scope()]);
    expect(output.code).toBe(0);
    expect(output.stdout).toBe(readFileSync(join(runDir, 'output.md'), 'utf8'));
    const stderr = await runAgent([
      'output',
      '--run-dir',
      runDir,
      '--file',
      'stderr',
      '--tail',
      '1',
    ]);
    expect(stderr.stdout).toBe('fake codex: stderr line 3\n');
    const follow = await runAgent(['output', ...scope(), '--run', 'latest', '-f']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toBe(readFileSync(join(runDir, 'agent-stdout.txt'), 'utf8'));
    const missing = await runAgent([
      'output',
      '--root',
      root,
      '--project',
      'proj',
      '--task',
      'nope',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Error: task proj\/nope has no runs/);
  });
});
