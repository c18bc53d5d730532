/**
 * runJob with real processes: every way a run can end leaves a truthful run-info.yaml, an
 * output.md and the right outcome; stops and timeouts leave no process behind.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConductorError } from '../../src/core/errors.js';
import { readRunInfo } from '../../src/core/run-info.js';
import { selfBinDir } from '../../src/core/self.js';
import { runJob } from '../../src/runner/job.js';
import { pidAlive, readRunFile, shAgent, tempRoot, waitFor } from './runner-helpers.js';

let root: string;
let cleanup: () => void;

beforeEach(() => {
  ({ root, cleanup } = tempRoot('runner-job-'));
});
afterEach(() => cleanup());

const base = { projectId: 'proj', taskId: 'task-1', prompt: 'do the thing' };

describe('runJob', () => {
  it('runs an agent to completion and records everything', async () => {
    const result = await runJob({
      ...base,
      root,
      agent: shAgent('cat > "$JRUN_RUN_FOLDER/seen-prompt.txt"; echo "all good"'),
    });
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, outcome: 0 });
    const info = readRunInfo(result.runDir);
    expect(info).toMatchObject({
      status: 'completed',
      exit_code: 0,
      project_id: 'proj',
      task_id: 'task-1',
      agent: 'command',
      agent_name: 'sh',
    });
    expect(info.pid).toBeGreaterThan(1);
    expect(info.pgid).toBe(info.pid);
    expect(info.error_summary).toBeUndefined();
    expect(info.end_time).not.toBe('0001-01-01T00:00:00Z');
    expect(readRunFile(result.runDir, 'output.md')).toBe('all good\n');
    expect(readRunFile(result.runDir, 'agent-exit-code.txt')).toBe('0\n');
    // The agent read prompt.md on stdin: preamble, separator, the trimmed prompt.
    const prompt = readRunFile(result.runDir, 'seen-prompt.txt');
    expect(prompt).toContain(`JRUN_RUN_FOLDER=${result.runDir}\n`);
    expect(prompt).toContain('## Message Bus');
    expect(prompt).toContain('run-agent job --project $JRUN_PROJECT_ID --task $JRUN_TASK_ID');
    expect(prompt).toContain(`create ${join(root, 'proj', 'task-1', 'DONE')}`);
    expect(prompt.endsWith('\n---\n\ndo the thing\n')).toBe(true);
    expect(readFileSync(join(root, 'proj', 'task-1', 'TASK.md'), 'utf8')).toBe('do the thing\n');
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toContain('type: RUN_START');
    expect(bus).toContain(`run started\nrun_dir: ${result.runDir}\n`);
    expect(bus).toContain(`type: RUN_STOP`);
    expect(bus).toContain(`run stopped with code 0\nrun_dir: ${result.runDir}\n`);
    // `ls -t <task>/ | head -1` names the run, not the bus file written just before.
    const taskDir = join(root, 'proj', 'task-1');
    const newest = readdirSync(taskDir)
      .map((name) => ({ name, mtime: statSync(join(taskDir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)[0];
    expect(newest?.name).toBe(result.runId);
  });

  it('writes the reference layout when asked: <task>/runs/<run>', async () => {
    const result = await runJob({ ...base, root, layout: 'reference', agent: shAgent('echo ok') });
    expect(result.runDir).toBe(join(root, 'proj', 'task-1', 'runs', result.runId));
    expect(readRunInfo(result.runDir)).toMatchObject({ status: 'completed', project_id: 'proj' });
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toContain('type: RUN_STOP');
  });

  it('never overwrites an output.md the agent wrote', async () => {
    const result = await runJob({
      ...base,
      root,
      agent: shAgent('echo mine > "$JRUN_RUN_FOLDER/output.md"; echo stdout text'),
    });
    expect(readRunFile(result.runDir, 'output.md')).toBe('mine\n');
  });

  it.each([
    [1, 1, 'agent reported failure'],
    [2, 2, 'agent usage error'],
    [3, 3, 'agent exited with code 3'],
    [7, 1, 'agent exited with code 7'],
  ])('maps agent exit %i to outcome %i', async (code, outcome, summary) => {
    const result = await runJob({
      ...base,
      root,
      agent: shAgent(`echo "boom on stderr" >&2; exit ${code}`),
    });
    expect(result).toMatchObject({
      status: 'failed',
      exitCode: code,
      outcome,
      errorSummary: summary,
    });
    const info = readRunInfo(result.runDir);
    expect(info).toMatchObject({ status: 'failed', exit_code: code, error_summary: summary });
    const output = readRunFile(result.runDir, 'output.md');
    for (const section of [
      '# Task Failed',
      '## Error',
      '## Context',
      '## Attempted Actions',
      '## Environment',
      '## Suggested Remediation',
    ]) {
      expect(output).toContain(section);
    }
    expect(output).toContain('- Task: task-1');
    expect(output).toContain(`- Exit Code: ${code}`);
    expect(output).toContain('boom on stderr');
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toContain('type: RUN_CRASH');
    expect(bus).toContain(`run stopped with code ${code}`);
    expect(bus).toContain('## stderr (last 50 lines)\nboom on stderr');
  });

  it('records a crash by signal', async () => {
    const result = await runJob({ ...base, root, agent: shAgent('echo partial; kill -KILL $$') });
    expect(result).toMatchObject({
      status: 'failed',
      exitCode: 137,
      outcome: 1,
      errorSummary: 'agent killed (OOM or signal)',
    });
    expect(readRunInfo(result.runDir).exit_signal).toBe('SIGKILL');
  });

  it('stops a hanging agent at the timeout: status timeout, outcome 1, no process left', async () => {
    const started = Date.now();
    const result = await runJob({
      ...base,
      root,
      agent: shAgent('echo working; sleep 30 & echo $! > "$JRUN_RUN_FOLDER/child.pid"; wait'),
      timeoutMs: 600,
      stopGraceMs: 2_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ status: 'timeout', outcome: 1, errorSummary: 'timed out' });
    const info = readRunInfo(result.runDir);
    expect(info).toMatchObject({ status: 'timeout', error_summary: 'timed out', timeout_s: 0.6 });
    const output = readRunFile(result.runDir, 'output.md');
    expect(output).toContain('# Task Failed');
    expect(output).toContain('time limit');
    const childPid = Number(readRunFile(result.runDir, 'child.pid'));
    expect(childPid).toBeGreaterThan(1);
    expect(pidAlive(childPid)).toBe(false);
    expect(pidAlive(info.pid)).toBe(false);
  });

  it('applies the idle timeout when output stops growing', async () => {
    const result = await runJob({
      ...base,
      root,
      agent: shAgent('echo one; sleep 30'),
      idleTimeoutMs: 400,
      stopGraceMs: 2_000,
    });
    expect(result).toMatchObject({ status: 'timeout', outcome: 1 });
    const bus = readFileSync(join(root, 'proj', 'task-1', 'TASK-MESSAGE-BUS.md'), 'utf8');
    expect(bus).toContain('type: RUN_CRASH');
    expect(bus).toContain('type: WARN');
    expect(bus).toContain('agent job timed out after 0.4s of idle output');
  });

  it('stops an agent that ignores SIGTERM and its grandchild: nothing survives', async () => {
    const controller = new AbortController();
    const script =
      'trap "" TERM; sleep 1000 & echo $! > "$JRUN_RUN_FOLDER/grandchild.pid"; echo ready; wait';
    const running = runJob({
      ...base,
      root,
      agent: shAgent(script),
      stopGraceMs: 500,
      signal: controller.signal,
      onStarted: () => undefined,
    });
    let runDir = '';
    await waitFor(
      () => {
        const dirs = readdirSync(join(root, 'proj', 'task-1')).filter((n) => /^\d{8}-/.test(n));
        runDir = dirs[0] ? join(root, 'proj', 'task-1', dirs[0]) : '';
        return runDir !== '' && readRunFile(runDir, 'agent-stdout.txt').includes('ready');
      },
      10_000,
      'agent ready',
    );
    const grandchild = Number(readRunFile(runDir, 'grandchild.pid'));
    const wrapper = readRunInfo(runDir).pid;
    expect(pidAlive(grandchild)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'stopped', outcome: 1 });
    expect(pidAlive(grandchild)).toBe(false);
    expect(pidAlive(wrapper)).toBe(false);
    expect(readRunFile(runDir, 'output.md')).toContain('# Task Failed');
  });

  it('streams stdout to disk while the agent runs', async () => {
    let runDir = '';
    const running = runJob({
      ...base,
      root,
      agent: shAgent(
        'echo first; while [ ! -f "$JRUN_RUN_FOLDER/go" ]; do sleep 0.05; done; echo second',
      ),
      onStarted: (run) => (runDir = run.runDir),
    });
    await waitFor(
      () => runDir !== '' && readRunFile(runDir, 'agent-stdout.txt') === 'first\n',
      10_000,
      'first line',
    );
    // The file grows while the agent still runs (it waits for `go` before it can exit).
    await waitFor(() => readRunInfo(runDir).status === 'running', 10_000, 'running recorded');
    expect(readRunFile(runDir, 'agent-exit-code.txt')).toBe('');
    writeFileSync(join(runDir, 'go'), '');
    const result = await running;
    expect(result.status).toBe('completed');
    expect(readRunFile(runDir, 'agent-stdout.txt')).toBe('first\nsecond\n');
  });

  it('gives the agent the environment contract and our bin folder on PATH', async () => {
    const result = await runJob({
      ...base,
      root,
      parentRunId: 'parent-run-7',
      conductorUrl: 'http://127.0.0.1:9999',
      agent: shAgent('env | grep -E "^(JRUN_|CONDUCTOR_ROOT=|PATH=)" | sort'),
    });
    const env = Object.fromEntries(
      readRunFile(result.runDir, 'agent-stdout.txt')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const taskDir = join(root, 'proj', 'task-1');
    expect(env).toMatchObject({
      JRUN_PROJECT_ID: 'proj',
      JRUN_TASK_ID: 'task-1',
      JRUN_ID: result.runId,
      JRUN_PARENT_ID: 'parent-run-7',
      JRUN_RUNS_DIR: taskDir,
      JRUN_MESSAGE_BUS: join(taskDir, 'TASK-MESSAGE-BUS.md'),
      JRUN_TASK_FOLDER: taskDir,
      JRUN_RUN_FOLDER: result.runDir,
      JRUN_CONDUCTOR_URL: 'http://127.0.0.1:9999',
      CONDUCTOR_ROOT: root,
    });
    expect(env.PATH?.split(':')[0]).toBe(selfBinDir());
    expect(readRunInfo(result.runDir).parent_run_id).toBe('parent-run-7');
  });

  it('refuses a missing executable with a configuration error before creating a run', async () => {
    const error = await runJob({
      ...base,
      root,
      agent: { ...shAgent(''), name: 'ghost', command: ['no-such-agent-binary-x'] },
    }).catch((e: unknown) => e);
    expect(isConductorError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'agent ghost: executable "no-such-agent-binary-x" not found on PATH',
    );
    expect((error as { exitCode: number }).exitCode).toBe(3);
    const taskDir = join(root, 'proj', 'task-1');
    expect(
      existsSync(taskDir) ? readdirSync(taskDir).filter((n) => /^\d{8}-/.test(n)) : [],
    ).toEqual([]);
  });

  it('refuses a REST agent without a key before spawning anything', async () => {
    const noKey = await runJob({
      ...base,
      root,
      agent: {
        ...shAgent(''),
        name: 'pplx',
        type: 'perplexity',
        command: undefined,
        env: { PERPLEXITY_API_KEY: '' },
      },
    }).catch((e: unknown) => e);
    expect((noKey as { exitCode: number }).exitCode).toBe(3);
    expect((noKey as Error).message).toContain('agent pplx: no API key');
  });
});
