import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../client/api-client.js';
import type { TaskDetail } from '../../client/api-types.js';
import { taskOutcomeError, waitForTask } from './conductor-wait.js';

const base: TaskDetail = { project_id: 'p', task_id: 't', status: 'running' };

describe('taskOutcomeError', () => {
  it('is undefined for a done task', () => {
    expect(taskOutcomeError({ ...base, status: 'done' })).toBeUndefined();
  });

  it.each([
    ['timeout', 1, 1, 'task p/t failed: run r1 timeout (exit code 1)'],
    ['crashed', null, 1, 'task p/t failed: run r1 crashed'],
    ['failed', 2, 2, 'task p/t failed: run r1 failed (exit code 2)'],
    ['failed', 3, 3, 'task p/t failed: run r1 failed (exit code 3)'],
  ] as const)(
    'a failed task whose last run is %s (exit %s) exits %i',
    (status, exitCode, code, message) => {
      const error = taskOutcomeError({
        ...base,
        status: 'failed',
        runs: [
          { run_id: 'r0', project_id: 'p', task_id: 't', status: 'completed' },
          { run_id: 'r1', project_id: 'p', task_id: 't', status, exit_code: exitCode },
        ],
      });
      expect(error?.exitCode).toBe(code);
      expect(error?.message).toBe(message);
    },
  );

  it('names the error summary and the stopped and idle cases', () => {
    const failed = taskOutcomeError({
      ...base,
      status: 'failed',
      runs: [
        {
          run_id: 'r1',
          project_id: 'p',
          task_id: 't',
          status: 'failed',
          exit_code: 1,
          error_summary: 'rate limited',
        },
      ],
    });
    expect(failed?.message).toBe('task p/t failed: run r1 failed (exit code 1): rate limited');
    expect(taskOutcomeError({ ...base, status: 'stopped' })?.message).toBe('task p/t was stopped');
    expect(taskOutcomeError({ ...base, status: 'idle' })?.message).toBe(
      'task p/t is idle: no loop is running it (conductor task resume p t)',
    );
  });
});

describe('waitForTask', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const s = server;
    server = undefined;
    if (s !== undefined) await new Promise((resolve) => s.close(resolve));
  });

  /** A real server answering each GET with the next state of `states` (then the last one). */
  async function serveStates(states: (TaskDetail | number)[]): Promise<ApiClient> {
    let i = 0;
    server = createServer((_req, res) => {
      const state = states[Math.min(i++, states.length - 1)]!;
      if (typeof state === 'number') {
        res.writeHead(state, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'busy' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return new ApiClient({ baseUrl: `http://127.0.0.1:${address.port}` });
  }

  it('polls until the task ends and rides over a passing 503', async () => {
    const client = await serveStates([base, 503, { ...base, status: 'done' }]);
    const seen: string[] = [];
    const task = await waitForTask(client, 'p', 't', { onPoll: (t) => seen.push(t.status) });
    expect(task.status).toBe('done');
    expect(seen).toEqual(['running', 'done']);
  });

  it('gives up at the deadline with a retriable error', async () => {
    const client = await serveStates([base]);
    await expect(waitForTask(client, 'p', 't', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'WAIT_TIMEOUT',
      exitCode: 1,
    });
  });

  it('fails at once on a permanent error such as an unknown task', async () => {
    const client = await serveStates([404]);
    await expect(waitForTask(client, 'p', 't')).rejects.toMatchObject({ exitCode: 2 });
  });
});
