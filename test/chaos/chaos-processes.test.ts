/**
 * Chaos: processes die. kill -9 an agent mid-run (the run ends failed truthfully and the task
 * retries), and kill -9 the server mid-task then restart it (the run is adopted and finishes,
 * nothing stays `running`, every bus file still parses).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTree } from '../../src/ops/verify.js';
import { startServer, waitUntil, type ServerProcess } from '../helpers/server-process.js';

interface RunView {
  run_id: string;
  status: string;
  exit_code: number;
}
interface TaskView {
  status: string;
  done: boolean;
  runs: RunView[];
}

let dir: string;
const servers: ServerProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chaos-proc-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(root: string): Promise<ServerProcess> {
  const s = await startServer({ root });
  servers.push(s);
  return s;
}

async function createTask(url: string, taskId: string, prompt: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project_id: 'chaos', task_id: taskId, agent: 'codex', prompt }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function task(url: string, taskId: string): Promise<TaskView | undefined> {
  const response = await fetch(`${url}/api/v1/projects/chaos/tasks/${taskId}`).catch(
    () => undefined,
  );
  return response?.ok ? ((await response.json()) as TaskView) : undefined;
}

function runInfoPid(root: string, taskId: string, runId: string): number {
  const text = readFileSync(join(root, 'chaos', taskId, runId, 'run-info.yaml'), 'utf8');
  return Number(/^pid: (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Direct children of a process (the agent under the run wrapper). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('chaos: processes', () => {
  it('kill -9 of an agent mid-run: the run ends failed truthfully and the task retries to done', async () => {
    const root = join(dir, 'root');
    const api = await serve(root);
    await createTask(api.url, 'kill-agent', 'work slowly FAKE_SLOW=3');
    const running = await waitUntil(
      async () => (await task(api.url, 'kill-agent'))?.runs.find((r) => r.status === 'running'),
      20_000,
      'the first run to be running',
    );
    const wrapper = runInfoPid(root, 'kill-agent', running.run_id);
    const agents = await waitUntil(
      async () => Promise.resolve(childrenOf(wrapper).length > 0 && childrenOf(wrapper)),
      10_000,
      'the agent process',
    );
    for (const pid of agents) process.kill(pid, 'SIGKILL');

    const finished = await waitUntil(
      async () => {
        const t = await task(api.url, 'kill-agent');
        return (
          t !== undefined &&
          (t.done || t.status === 'failed') &&
          !t.runs.some((r) => r.status === 'running') &&
          t
        );
      },
      60_000,
      'the task to finish',
    );
    const first = finished.runs.find((r) => r.run_id === running.run_id)!;
    expect(['failed', 'crashed']).toContain(first.status);
    expect(first.exit_code).not.toBe(0);
    // The kill is retriable: a later run of the same task completed and the task is done.
    expect(finished.runs.length).toBeGreaterThanOrEqual(2);
    expect(finished.runs[finished.runs.length - 1]!.status).toBe('completed');
    expect(finished.done).toBe(true);
    expect(verifyTree(root).problems).toEqual([]);
  });

  it('kill -9 of the server mid-task: a restarted server adopts the run, nothing stays running, the bus is intact', async () => {
    const root = join(dir, 'root');
    const first = await serve(root);
    await createTask(first.url, 'kill-server', 'work slowly FAKE_SLOW=4');
    const running = await waitUntil(
      async () => (await task(first.url, 'kill-server'))?.runs.find((r) => r.status === 'running'),
      20_000,
      'the run to be running',
    );
    const wrapper = runInfoPid(root, 'kill-server', running.run_id);
    await fetch(`${first.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        project_id: 'chaos',
        task_id: 'kill-server',
        body: 'before the crash',
      }),
    });
    first.child.kill('SIGKILL');
    await first.stop();
    // The agent outlives its supervisor (runs are detached process groups).
    expect(isAlive(wrapper)).toBe(true);

    const second = await serve(root);
    const settled = await waitUntil(
      async () => {
        const t = await task(second.url, 'kill-server');
        const run = t?.runs.find((r) => r.run_id === running.run_id);
        return run !== undefined && run.status !== 'running' && t;
      },
      60_000,
      'the adopted run to finish',
    );
    const run = settled.runs.find((r) => r.run_id === running.run_id)!;
    expect(run.status).toBe('completed');
    expect(run.exit_code).toBe(0);
    await waitUntil(
      async () => {
        const t = await task(second.url, 'kill-server');
        return (
          t !== undefined &&
          !t.runs.some((r) => r.status === 'running' || r.status === 'queued') &&
          t.status !== 'running'
        );
      },
      60_000,
      'no run or loop left running',
    );
    const report = verifyTree(root);
    expect(report.problems).toEqual([]);
    expect(report.busMessages).toBeGreaterThanOrEqual(1);
    const messages = (await (
      await fetch(`${second.url}/api/v1/messages?project_id=chaos&task_id=kill-server`)
    ).json()) as {
      messages: { body: string }[];
    };
    expect(messages.messages.map((m) => m.body)).toContain('before the crash');
  });
});
