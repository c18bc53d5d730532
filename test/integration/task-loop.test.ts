/**
 * runTask with real agent processes: every exit path of the Ralph loop (done after restarts,
 * retry with backoff, retries exhausted, permanent, config, max restarts), dependencies,
 * completion FACT propagated once, the per-agent rate limit and adoption of an orphaned loop.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/core/run-info.js';
import { listRunDirs } from '../../src/core/store.js';
import {
  ensureTaskPrompt,
  markDone,
  newLoopState,
  readLoopState,
  writeLoopState,
  writeTaskConfig,
  type TaskLoopState,
} from '../../src/core/task-files.js';
import { readBusSync } from '../../src/bus/reader.js';
import { BUILTIN_AGENTS, type AgentConfig } from '../../src/runner/agents/index.js';
import { adoptTaskLoop, runTask, type TaskOptions } from '../../src/runner/task-loop.js';
import { fakePath, shAgent, tempRoot, waitFor } from './runner-helpers.js';

let root: string;
let cleanup: () => void;
const savedPath = process.env.PATH;

beforeEach(() => {
  ({ root, cleanup } = tempRoot('task-loop-'));
  // The runner builds the agent's env from ours: the fake CLIs must come first on PATH.
  process.env.PATH = fakePath();
});
afterEach(() => {
  process.env.PATH = savedPath;
  cleanup();
});

const codex: AgentConfig = { ...BUILTIN_AGENTS.codex!, retryBaseDelayMs: 50 };

function task(taskId: string, prompt: string, extra: Partial<TaskOptions> = {}): TaskOptions {
  return {
    root,
    projectId: 'proj',
    taskId,
    agent: codex,
    prompt,
    restartDelayMs: 20,
    dependencyPollMs: 50,
    childPollMs: 50,
    ...extra,
  };
}

const taskPath = (taskId: string): string => join(root, 'proj', taskId);
const busOf = (taskId: string) => readBusSync(join(taskPath(taskId), 'TASK-MESSAGE-BUS.md'));
const bodies = (taskId: string, type: string): string[] =>
  busOf(taskId)
    .filter((m) => m.type === type)
    .map((m) => m.body);

/** A sh agent that exits with the Nth code of `codes` on its Nth run (last code repeats). */
function scripted(codes: number[], doneOnLast = false): AgentConfig {
  const script = `
n=$(cat "$JRUN_TASK_FOLDER/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$JRUN_TASK_FOLDER/n"
set -- ${codes.join(' ')}; i=1; code=0
for c in "$@"; do if [ $i -le $n ]; then code=$c; fi; i=$((i+1)); done
if [ $n -ge ${codes.length} ] && [ ${doneOnLast ? 1 : 0} -eq 1 ]; then : > "$JRUN_TASK_FOLDER/DONE"; fi
echo "run $n exit $code"; exit $code`;
  return shAgent(script, { maxRetries: 3, retryBaseDelayMs: 40 });
}

describe('runTask exit paths', () => {
  it('restarts a successful run without DONE until the agent writes DONE (FAKE_DONE_AFTER)', async () => {
    const result = await runTask(task('t-done', 'work FAKE_DONE_AFTER=3'));
    expect(result).toMatchObject({ status: 'done', exitCode: 0, restarts: 2, retries: 0 });
    expect(result.runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    const runs = listRunDirs(taskPath('t-done'));
    expect(runs).toHaveLength(3);
    // Restart attempts continue the previous run, with the restart prefix in the prompt.
    const second = readRunInfo(runs[1]!.runDir);
    expect(second.previous_run_id).toBe(runs[0]!.runId);
    expect(second.attempt).toBe(1);
    expect(readFileSync(join(runs[1]!.runDir, 'prompt.md'), 'utf8')).toContain(
      'Continue working on the following:\n\nwork FAKE_DONE_AFTER=3',
    );
    expect(readFileSync(join(runs[0]!.runDir, 'prompt.md'), 'utf8')).not.toContain('Continue');
    expect(bodies('t-done', 'INFO')).toEqual([
      'starting root agent (restart #0)',
      'starting root agent (restart #1)',
      'starting root agent (restart #2)',
      'task completed (DONE marker present, no active children)',
    ]);
    expect(readLoopState(taskPath('t-done'))).toMatchObject({
      status: 'done',
      exit_code: 0,
      attempt: 3,
      restarts: 2,
    });
  });

  it('retries exit 1 with exponential backoff, then succeeds', async () => {
    const started = Date.now();
    const result = await runTask(task('t-retry', 'x', { agent: scripted([1, 1, 0], true) }));
    expect(result).toMatchObject({ status: 'done', exitCode: 0, retries: 2 });
    expect(result.runs.map((r) => r.outcome)).toEqual([1, 1, 0]);
    // 40 ms then 80 ms of backoff at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    expect(bodies('t-retry', 'INFO').filter((b) => b.startsWith('retrying'))).toEqual([
      'retrying in 0.04s (retry 1/3)',
      'retrying in 0.08s (retry 2/3)',
    ]);
    expect(bodies('t-retry', 'WARNING')[0]).toMatch(/^root agent failed on restart #0: /);
  });

  it('gives up with exit 1 when retries are exhausted', async () => {
    const result = await runTask(task('t-exhaust', 'x FAKE_EXIT=1', { maxRetries: 2 }));
    expect(result).toMatchObject({ status: 'failed', exitCode: 1, retries: 2 });
    expect(result.runs).toHaveLength(3);
    expect(result.errorSummary).toMatch(/^retries exhausted \(2\): /);
    expect(bodies('t-exhaust', 'ERROR')).toEqual([`task failed: ${result.errorSummary}`]);
    expect(readLoopState(taskPath('t-exhaust'))).toMatchObject({ status: 'failed', exit_code: 1 });
  });

  it('stops at once on exit 2 (permanent) and exit 3 (configuration)', async () => {
    const permanent = await runTask(task('t-perm', 'x FAKE_EXIT=2'));
    expect(permanent).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(permanent.runs).toHaveLength(1);
    const config = await runTask(task('t-conf', 'x FAKE_EXIT=3'));
    expect(config).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(config.runs).toHaveLength(1);
  });

  it('fails with exit 3 when the agent executable is missing, before any run', async () => {
    const missing = { ...codex, command: ['/nonexistent/codex'] };
    const result = await runTask(task('t-missing', 'x', { agent: missing }));
    expect(result).toMatchObject({ status: 'failed', exitCode: 3, runs: [] });
    expect(result.errorSummary).toContain('/nonexistent/codex');
  });

  it('fails with exit 1 when max restarts is exceeded', async () => {
    const result = await runTask(task('t-max', 'x FAKE_NO_DONE', { maxRestarts: 2 }));
    expect(result).toMatchObject({ status: 'failed', exitCode: 1, restarts: 2 });
    expect(result.runs).toHaveLength(3);
    expect(bodies('t-max', 'ERROR')).toEqual(['task failed: max restarts (2) exceeded']);
  });
});

describe('dependencies', () => {
  it('blocks until the dependency is DONE, then starts', async () => {
    const dependent = runTask(task('t-b', 'second', { dependsOn: ['t-a'] }));
    await waitFor(() => readLoopState(taskPath('t-b'))?.status === 'blocked', 10_000, 'blocked');
    expect(existsSync(taskPath('t-a'))).toBe(false);
    expect(readFileSync(join(taskPath('t-b'), 'TASK-CONFIG.yaml'), 'utf8')).toBe(
      'depends_on:\n    - t-a\n',
    );
    const first = await runTask(task('t-a', 'first'));
    expect(first.exitCode).toBe(0);
    const second = await dependent;
    expect(second).toMatchObject({ status: 'done', exitCode: 0 });
    const bFirstRun = readRunInfo(listRunDirs(taskPath('t-b'))[0]!.runDir);
    const aLastRun = readRunInfo(listRunDirs(taskPath('t-a'))[0]!.runDir);
    expect(Date.parse(bFirstRun.start_time)).toBeGreaterThanOrEqual(Date.parse(aLastRun.end_time));
    expect(bodies('t-b', 'PROGRESS')[0]).toBe('waiting for dependencies: t-a (not started)');
    expect(bodies('t-b', 'FACT')[0]).toBe('dependencies satisfied; starting task');
  });

  it('fails the dependent with exit 2 when a dependency fails permanently', async () => {
    const dependent = runTask(task('t-d', 'later', { dependsOn: ['t-c'] }));
    const failed = await runTask(task('t-c', 'x FAKE_EXIT=2'));
    expect(failed.exitCode).toBe(2);
    const result = await dependent;
    expect(result).toMatchObject({ status: 'failed', exitCode: 2, runs: [] });
    expect(result.errorSummary).toMatch(/^dependency t-c failed \(exit 2\)/);
  });

  it('rejects self-dependencies and cycles before starting', async () => {
    await expect(runTask(task('t-self', 'x', { dependsOn: ['t-self'] }))).rejects.toThrow(
      'task t-self cannot depend on itself',
    );
    writeTaskConfig(taskPath('t-z'), { depends_on: ['t-y'] });
    await expect(runTask(task('t-y', 'x', { dependsOn: ['t-z'] }))).rejects.toThrow(
      'dependency cycle: t-y -> t-z -> t-y',
    );
    expect(existsSync(join(taskPath('t-y'), 'TASK-LOOP.yaml'))).toBe(false);
  });
});

describe('completion', () => {
  it('propagates the completion FACT to the project bus exactly once across two loops', async () => {
    const first = await runTask(task('t-fact', 'x'));
    const second = await runTask(task('t-fact', 'x'));
    expect(first.exitCode).toBe(0);
    expect(second).toMatchObject({ status: 'done', exitCode: 0, runs: [] });
    const project = readBusSync(join(root, 'proj', 'PROJECT-MESSAGE-BUS.md'));
    expect(project.filter((m) => m.meta?.kind === 'task_completion_propagation')).toHaveLength(1);
    const facts = bodies('t-fact', 'FACT');
    expect(facts.filter((b) => b.startsWith('task completion facts propagated'))).toHaveLength(1);
    expect(
      bodies('t-fact', 'INFO').filter((b) => b.startsWith('task completion facts already')),
    ).toHaveLength(1);
    // The newest run folder is the newest entry of the task folder (seed: ls -t | head -1).
    const entries = readdirSync(taskPath('t-fact')).map((name) => ({
      name,
      mtime: Number(readMtimeNs(join(taskPath('t-fact'), name))),
    }));
    entries.sort((a, b) => b.mtime - a.mtime);
    expect(entries[0]!.name).toBe(listRunDirs(taskPath('t-fact')).at(-1)!.runId);
  });

  it('refuses to start past the per-agent daily rate limit (exit 1, says when it resets)', async () => {
    const limited = await runTask(task('t-rate1', 'x', { requestsPerDay: 1 }));
    expect(limited.exitCode).toBe(0);
    const refused = await runTask(task('t-rate2', 'x', { requestsPerDay: 1 }));
    expect(refused).toMatchObject({ status: 'failed', exitCode: 1, runs: [] });
    expect(refused.errorSummary).toMatch(
      /^rate limit reached for agent codex: 1\/1 runs today; resets at \d{4}-\d\d-\d\dT00:00:00Z \(in /,
    );
  });
});

describe('adoptTaskLoop', () => {
  it('continues a loop whose owner died, with its counters', async () => {
    markDone(taskPath('t-orphan'));
    const orphan: TaskLoopState = {
      ...newLoopState({ agent: 'codex', status: 'running', max_restarts: 7 }),
      owner_pid: 2 ** 22 + 99,
      attempt: 4,
      restarts: 3,
    };
    writeLoopState(taskPath('t-orphan'), orphan);
    // The owner wrote TASK.md before it died.
    ensureTaskPrompt(taskPath('t-orphan'), 'orphaned work');
    const result = await adoptTaskLoop({
      root,
      projectId: 'proj',
      taskId: 't-orphan',
      agent: codex,
    });
    expect(result).toMatchObject({ status: 'done', exitCode: 0, restarts: 3 });
    expect(readLoopState(taskPath('t-orphan'))).toMatchObject({
      status: 'done',
      owner_pid: process.pid,
      attempt: 4,
      max_restarts: 7,
    });
  });

  it('refuses to adopt a loop whose owner is alive', async () => {
    writeLoopState(taskPath('t-live'), {
      ...newLoopState({ agent: 'codex', status: 'running' }),
      owner_pid: 1,
    });
    await expect(
      adoptTaskLoop({ root, projectId: 'proj', taskId: 't-live', agent: codex }),
    ).rejects.toThrow(/owned by live process 1/);
  });
});

function readMtimeNs(path: string): bigint {
  return statSync(path, { bigint: true }).mtimeNs;
}
