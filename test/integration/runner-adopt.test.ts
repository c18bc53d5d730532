/**
 * Runs outlive their supervisor: a `run-agent job` killed with SIGKILL leaves the agent
 * running, and adoptRun in another process finishes the run truthfully. Stops work from any
 * process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo, tryReadRunInfo } from '../../src/core/run-info.js';
import { adoptRun, runJob } from '../../src/runner/job.js';
import {
  pidAlive,
  readRunFile,
  RUN_AGENT_FROM_SOURCE,
  runProcess,
  shAgent,
  tempRoot,
  waitFor,
} from './runner-helpers.js';

let root: string;
let cleanup: () => void;
const children: ChildProcess[] = [];

beforeEach(() => {
  ({ root, cleanup } = tempRoot('runner-adopt-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  cleanup();
});

/** Start `run-agent job` (from sources) whose agent waits for a `go` file; return its run dir. */
async function startSupervisor(): Promise<{ supervisor: ChildProcess; runDir: string }> {
  const config = join(root, 'config.yaml');
  const script =
    'echo waiting; while [ ! -f "$JRUN_RUN_FOLDER/go" ]; do sleep 0.05; done; echo "done after go"';
  writeFileSync(
    config,
    JSON.stringify({ agents: { waiter: { type: 'command', command: ['/bin/sh', '-c', script] } } }),
  );
  const [node, ...args] = RUN_AGENT_FROM_SOURCE;
  const supervisor = spawn(
    node!,
    [
      ...args,
      'job',
      '--root',
      root,
      '--config',
      config,
      '--project',
      'proj',
      '--task',
      'task-1',
      '--agent',
      'waiter',
      '--prompt',
      'wait for go',
    ],
    { stdio: 'ignore' },
  );
  children.push(supervisor);
  const taskDir = join(root, 'proj', 'task-1');
  let runDir = '';
  await waitFor(
    () => {
      if (!existsSync(taskDir)) return false;
      const name = readdirSync(taskDir).find((n) => /^\d{8}-/.test(n));
      runDir = name ? join(taskDir, name) : '';
      return (
        runDir !== '' &&
        tryReadRunInfo(runDir)?.status === 'running' &&
        readRunFile(runDir, 'agent-stdout.txt') !== ''
      );
    },
    20_000,
    'run started by the supervisor',
  );
  return { supervisor, runDir };
}

async function killSupervisor(supervisor: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => supervisor.once('exit', resolve));
  supervisor.kill('SIGKILL');
  await exited;
}

describe('adoptRun', () => {
  it('finishes a run whose supervisor was SIGKILLed, from the agent real exit', async () => {
    const { supervisor, runDir } = await startSupervisor();
    const wrapperPid = readRunInfo(runDir).pid;
    await killSupervisor(supervisor);
    expect(pidAlive(wrapperPid)).toBe(true);
    expect(readRunInfo(runDir).status).toBe('running');
    const adopted = adoptRun(runDir);
    writeFileSync(join(runDir, 'go'), '');
    const result = await adopted;
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, outcome: 0 });
    expect(readRunFile(runDir, 'output.md')).toBe('waiting\ndone after go\n');
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toContain('type: RUN_START');
    expect(bus).toContain('type: RUN_STOP');
  });

  it('records crashed when the whole group was killed while nobody supervised it', async () => {
    const { supervisor, runDir } = await startSupervisor();
    const pgid = readRunInfo(runDir).pgid;
    await killSupervisor(supervisor);
    process.kill(-pgid, 'SIGKILL');
    const result = await adoptRun(runDir);
    expect(result).toMatchObject({ status: 'crashed', exitCode: -1, outcome: 1 });
    expect(readRunFile(runDir, 'output.md')).toContain('# Task Failed');
    expect(readRunInfo(runDir).error_summary).toBe(
      'agent process group vanished without an exit status',
    );
  });

  it('stop from another process: the owner records stopped', async () => {
    let runDir = '';
    const running = runJob({
      root,
      projectId: 'proj',
      taskId: 'task-1',
      prompt: 'hang',
      agent: shAgent('echo hanging; sleep 1000'),
      onStarted: (run) => (runDir = run.runDir),
    });
    await waitFor(() => runDir !== '', 10_000, 'run started');
    const stop = await runProcess(
      [...RUN_AGENT_FROM_SOURCE, 'stop', '--run-dir', runDir, '--grace', '5s'],
      {
        env: process.env,
        timeoutMs: 30_000,
      },
    );
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('stopped');
    const result = await running;
    expect(result).toMatchObject({ status: 'stopped', outcome: 1 });
    expect(readRunInfo(runDir).status).toBe('stopped');
  });

  it('stop of an orphaned run (supervisor dead) records stopped by itself', async () => {
    const { supervisor, runDir } = await startSupervisor();
    await killSupervisor(supervisor);
    const stop = await runProcess(
      [...RUN_AGENT_FROM_SOURCE, 'stop', '--root', root, '--project', 'proj', '--task', 'task-1'],
      {
        env: process.env,
        timeoutMs: 30_000,
      },
    );
    expect(stop.code).toBe(0);
    const info = readRunInfo(runDir);
    expect(info.status).toBe('stopped');
    expect(pidAlive(info.pid)).toBe(false);
    expect(readFileSync(join(root, 'proj', 'task-1', 'STOP-REQUESTED'), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
  });

  it('a queued run whose supervisor died is recorded failed; a live waiter is left alone', async () => {
    let holderRun: { runDir: string; pid: number } | undefined;
    const holder = runJob({
      root,
      projectId: 'proj',
      taskId: 'holder',
      prompt: 'hold',
      agent: shAgent('sleep 1000'),
      maxConcurrent: 1,
      stopGraceMs: 1_000,
      onStarted: (run) => (holderRun = run),
    });
    await waitFor(() => holderRun !== undefined, 10_000, 'holder started');
    const config = join(root, 'config.yaml');
    writeFileSync(
      config,
      JSON.stringify({ agents: { quick: { type: 'command', command: ['/bin/true'] } } }),
    );
    const [node, ...args] = RUN_AGENT_FROM_SOURCE;
    const waiter = spawn(
      node!,
      [
        ...args,
        'job',
        '--root',
        root,
        '--config',
        config,
        '--project',
        'proj',
        '--task',
        'waiter',
        '--agent',
        'quick',
        '--prompt',
        'x',
        '--max-concurrent',
        '1',
      ],
      { stdio: 'ignore' },
    );
    children.push(waiter);
    const taskDir = join(root, 'proj', 'waiter');
    let runDir = '';
    await waitFor(
      () => {
        if (!existsSync(taskDir)) return false;
        const name = readdirSync(taskDir).find((n) => /^\d{8}-/.test(n));
        runDir = name ? join(taskDir, name) : '';
        return (
          runDir !== '' &&
          readdirSync(join(root, '.conductor', 'queue')).some((n) => n.endsWith('.ticket'))
        );
      },
      20_000,
      'waiter queued',
    );
    await expect(adoptRun(runDir, { unstartedGraceMs: 0 })).rejects.toThrow('waiting for a slot');
    await killSupervisor(waiter);
    const result = await adoptRun(runDir, { unstartedGraceMs: 0 });
    expect(result).toMatchObject({ status: 'failed', exitCode: -1, outcome: 1 });
    expect(readRunInfo(runDir).error_summary).toBe('supervisor exited while the run was queued');
    const { stopRun } = await import('../../src/runner/stop.js');
    await stopRun(holderRun!.runDir, { graceMs: 1_000 });
    expect((await holder).status).toBe('stopped');
  });
});
