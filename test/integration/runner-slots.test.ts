/**
 * Concurrency slots across separate `run-agent job` processes and within one process: the
 * limit holds, waiters start in submission order, and a killed holder frees its slot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo, tryReadRunInfo } from '../../src/core/run-info.js';
import { runJob } from '../../src/runner/job.js';
import { RUN_AGENT_FROM_SOURCE, shAgent, tempRoot, waitFor } from './runner-helpers.js';

let root: string;
let cleanup: () => void;
const children: ChildProcess[] = [];

beforeEach(() => {
  ({ root, cleanup } = tempRoot('runner-slots-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  cleanup();
});

function runDirsOf(taskId: string): string[] {
  const taskDir = join(root, 'proj', taskId);
  if (!existsSync(taskDir)) return [];
  return readdirSync(taskDir)
    .filter((name) => /^\d{8}-/.test(name))
    .map((name) => join(taskDir, name));
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('concurrency slots', () => {
  it('limit 2 across 6 processes: at most 2 agents at once, started in submission order', async () => {
    const log = join(root, 'agents.log');
    const go = join(root, 'go');
    // Each agent logs its start, waits for the test's signal, then runs 0.3 s * N so slots
    // free one at a time and the order of starts is the order of the queue.
    const script = [
      'N=${JRUN_TASK_ID#t}',
      `echo "start $N $(date +%s%N)" >> ${log}`,
      `while [ ! -f ${go} ]; do sleep 0.05; done`,
      'sleep $(awk "BEGIN{print $N*0.3}")',
      `echo "end $N $(date +%s%N)" >> ${log}`,
    ].join('; ');
    const config = join(root, 'config.yaml');
    writeFileSync(
      config,
      JSON.stringify({ agents: { slow: { type: 'command', command: ['/bin/sh', '-c', script] } } }),
    );
    const [node, ...args] = RUN_AGENT_FROM_SOURCE;
    for (let n = 1; n <= 6; n += 1) {
      const child = spawn(
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
          `t${n}`,
          '--agent',
          'slow',
          '--prompt',
          `job ${n}`,
          '--max-concurrent',
          '2',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      // Submission order: the next job starts only once this one is registered.
      await waitFor(
        () => runDirsOf(`t${n}`).some((dir) => tryReadRunInfo(dir) !== undefined),
        20_000,
        `job ${n} registered`,
      );
    }
    await waitFor(
      () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 2,
      20_000,
      'two agents started',
    );
    const queued = [3, 4, 5, 6].map((n) => readRunInfo(runDirsOf(`t${n}`)[0]!).status);
    expect(queued).toEqual(['queued', 'queued', 'queued', 'queued']);
    writeFileSync(go, '');
    const codes = await Promise.all(children.map(exitOf));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);

    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [kind, n, ns] = line.split(' ');
        return { kind: kind!, n: Number(n), at: BigInt(ns!) };
      })
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let alive = 0;
    let most = 0;
    for (const event of events) {
      alive += event.kind === 'start' ? 1 : -1;
      most = Math.max(most, alive);
    }
    expect(most).toBe(2);
    // Start order = the supervisors' spawn times (recorded right after each took its slot).
    const spawnOrder = [1, 2, 3, 4, 5, 6]
      .map((n) => ({ n, at: readRunInfo(runDirsOf(`t${n}`)[0]!).start_time }))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      .map((entry) => entry.n);
    expect(spawnOrder).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readdirSync(join(root, '.conductor', 'queue'))).toEqual([]);
  });

  it('a SIGKILLed holder frees its slot for the next run', async () => {
    const agent = shAgent('sleep 1000');
    let first: { runDir: string; pid: number } | undefined;
    const holder = runJob({
      root,
      projectId: 'proj',
      taskId: 'holder',
      prompt: 'hold',
      agent,
      maxConcurrent: 1,
      onStarted: (run) => (first = run),
    });
    await waitFor(() => first !== undefined, 10_000, 'holder started');
    let waiterDir = '';
    const waiter = runJob({
      root,
      projectId: 'proj',
      taskId: 'waiter',
      prompt: 'wait',
      agent: shAgent('echo finally'),
      maxConcurrent: 1,
      onCreated: (run) => (waiterDir = run.runDir),
    });
    await waitFor(() => waiterDir !== '', 10_000, 'waiter registered');
    expect(readRunInfo(waiterDir).status).toBe('queued');
    process.kill(-first!.pid, 'SIGKILL');
    const [held, waited] = await Promise.all([holder, waiter]);
    expect(held).toMatchObject({ status: 'crashed', exitCode: -1, outcome: 1 });
    expect(waited).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('a queued run can be stopped before it starts', async () => {
    let first: { runDir: string; pid: number } | undefined;
    const holder = runJob({
      root,
      projectId: 'proj',
      taskId: 'holder',
      prompt: 'hold',
      agent: shAgent('sleep 1000'),
      maxConcurrent: 1,
      stopGraceMs: 1_000,
      onStarted: (run) => (first = run),
    });
    await waitFor(() => first !== undefined, 10_000, 'holder started');
    const controller = new AbortController();
    let waiterDir = '';
    const waiter = runJob({
      root,
      projectId: 'proj',
      taskId: 'waiter',
      prompt: 'wait',
      agent: shAgent('echo never'),
      maxConcurrent: 1,
      signal: controller.signal,
      onCreated: (run) => (waiterDir = run.runDir),
    });
    await waitFor(() => waiterDir !== '', 10_000, 'waiter registered');
    controller.abort();
    const stopped = await waiter;
    expect(stopped).toMatchObject({ status: 'stopped', exitCode: -1, outcome: 1 });
    expect(readFileSync(join(waiterDir, 'output.md'), 'utf8')).toContain('# Task Failed');
    const { stopRun } = await import('../../src/runner/stop.js');
    await stopRun(first!.runDir, { graceMs: 1_000 });
    expect((await holder).status).toBe('stopped');
  });
});
