/**
 * The real `conductor serve` binary: start-up line, unsafe-bind refusal, graceful SIGTERM
 * that leaves agents running, and kill -9 of the server mid-task: the next server adopts
 * the run and its loop (finishing truthfully), and records a run whose agent died as crashed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/core/run-info.js';
import {
  cleanEnv,
  cleanupAll,
  FAKE_AGENTS,
  freshDir,
  httpJson,
  openSse,
  REPO,
  startServerProcess,
  waitFor,
  type ServerProcess,
} from './server-harness.js';

afterAll(cleanupAll);

const agentEnv = (): NodeJS.ProcessEnv => ({ PATH: `${FAKE_AGENTS}:${process.env.PATH ?? ''}` });

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function createTask(server: ServerProcess, taskId: string, prompt: string): Promise<string> {
  const res = await httpJson(`${server.url}/api/v1/tasks`, {
    method: 'POST',
    body: { project_id: 'p', task_id: taskId, agent: 'codex', prompt },
  });
  expect(res.status).toBe(201);
  const runId = (res.body as { run_id?: string }).run_id;
  expect(runId).toBeDefined();
  return runId!;
}

async function runStatus(server: ServerProcess, runId: string): Promise<Record<string, unknown>> {
  return (await httpJson(`${server.url}/api/v1/runs/${runId}`)).body as Record<string, unknown>;
}

describe('conductor serve (process)', () => {
  it('prints its URL, answers, and refuses a public bind without a key (exit 3, one line)', async () => {
    const server = await startServerProcess(['--root', join(freshDir(), 'root')]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpJson(`${server.url}/api/v1/health`)).body).toEqual({ status: 'ok' });
    // An open event stream does not hold the shutdown up: it is closed and the server exits.
    const events = openSse(`${server.url}/api/v1/events`);
    await events.response;
    const stopping = Date.now();
    expect(await server.stop()).toBe(0);
    await events.ended;
    expect(Date.now() - stopping).toBeLessThan(5_000);

    const refused = spawnSync(
      process.execPath,
      [
        join(REPO, 'bin/conductor'),
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--root',
        freshDir(),
      ],
      { env: cleanEnv(), encoding: 'utf8', timeout: 20_000 },
    );
    expect(refused.status).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^Error: refusing to listen on 0\.0\.0\.0 without an API key/);
  });

  it('takes CONDUCTOR_ROOT and CONDUCTOR_API_KEY from the environment', async () => {
    const root = join(freshDir(), 'env-root');
    const server = await startServerProcess([], {
      CONDUCTOR_ROOT: root,
      CONDUCTOR_API_KEY: 'env-key-123',
    });
    expect((await httpJson(`${server.url}/api/v1/runs`)).status).toBe(401);
    const ok = await httpJson(`${server.url}/api/v1/runs`, {
      headers: { authorization: 'Bearer env-key-123' },
    });
    expect(ok.status).toBe(200);
    expect(existsSync(root)).toBe(true);
    expect(await server.stop()).toBe(0);
  });

  it('`run-agent serve` is the same server', () => {
    const res = spawnSync(process.execPath, [join(REPO, 'bin/run-agent'), 'serve', '--help'], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('--disable-task-start');
  });

  it('SIGTERM leaves agent runs alive; kill -9 mid-task, restart: adopted runs finish truthfully, dead ones are crashed', async () => {
    const root = join(freshDir(), 'root');
    const args = ['--root', root];
    let server = await startServerProcess(args, agentEnv());
    const aliveRun = await createTask(server, 'alive', 'FAKE_SLOW=4');
    const deadRun = await createTask(server, 'dead', 'FAKE_SLOW=60');
    for (const run of [aliveRun, deadRun]) {
      await waitFor('running', async () => (await runStatus(server, run)).status === 'running');
    }
    const deadDir = join(root, 'p', 'dead', deadRun);
    const alivePgid = readRunInfo(join(root, 'p', 'alive', aliveRun)).pgid;
    const deadPgid = readRunInfo(deadDir).pgid;

    // The server dies hard; its agents must not.
    await server.stop('SIGKILL');
    expect(groupAlive(alivePgid)).toBe(true);
    expect(groupAlive(deadPgid)).toBe(true);
    // While no server is up, one agent dies without a trace (no exit status recorded).
    process.kill(-deadPgid, 'SIGKILL');
    await waitFor('dead agent gone', () => !groupAlive(deadPgid));

    server = await startServerProcess(args, agentEnv());
    const crashed = await waitFor('dead run reconciled', async () => {
      const info = await runStatus(server, deadRun);
      return info.status !== 'running' ? info : undefined;
    });
    expect(crashed).toMatchObject({ status: 'crashed', exit_code: -1 });
    expect(String(crashed.error_summary)).toMatch(/vanished|crash|signal|killed/);
    const finished = await waitFor(
      'alive run finished',
      async () => {
        const info = await runStatus(server, aliveRun);
        return info.status !== 'running' ? info : undefined;
      },
      30_000,
    );
    expect(finished).toMatchObject({ status: 'completed', exit_code: 0 });
    // Its task loop was adopted too: it saw DONE and finished the task.
    await waitFor(
      'alive task done',
      async () =>
        ((await httpJson(`${server.url}/api/v1/projects/p/tasks/alive`)).body as { status: string })
          .status === 'done',
      30_000,
    );

    // The adopted loop of the crashed task retries; stop it, then SIGTERM the server:
    // a graceful exit (0) that leaves the other task's runs alone.
    const stopped = await httpJson(`${server.url}/api/v1/projects/p/tasks/dead/stop`, {
      method: 'POST',
    });
    expect(stopped.status).toBe(202);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.stderr()).not.toMatch(/"level":50/);
  });

  it('graceful SIGTERM keeps a run going; --stop-runs-on-exit stops it', async () => {
    const root = join(freshDir(), 'root');
    let server = await startServerProcess(['--root', root], agentEnv());
    const runId = await createTask(server, 'keep', 'FAKE_SLOW=60');
    await waitFor('running', async () => (await runStatus(server, runId)).status === 'running');
    const pgid = readRunInfo(join(root, 'p', 'keep', runId)).pgid;
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(groupAlive(pgid)).toBe(true);

    server = await startServerProcess(['--root', root, '--stop-runs-on-exit'], agentEnv());
    expect((await runStatus(server, runId)).status).toBe('running');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(readRunInfo(join(root, 'p', 'keep', runId)).status).toBe('stopped');
    await waitFor('agent group gone', () => !groupAlive(pgid), 5_000);
  });
});
