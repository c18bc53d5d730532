/**
 * The `conductor` client end to end: the real binary against a real `conductor serve` on
 * 127.0.0.1 (built-in demo agent), plus the failure modes that need no server.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, RunPage, ServerStatus, TaskDetail } from '../../src/client/api-types.js';
import {
  CONDUCTOR_BIN,
  e2eEnv,
  freePort,
  isHealthy,
  runConductor,
  startServer,
  waitUntil,
  type ServerProcess,
} from '../helpers/server-process.js';

let dir: string;
let server: ServerProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conductor-cli-'));
  mkdirSync(join(dir, 'runs'));
  server = await startServer({ root: join(dir, 'runs'), cwd: dir, env: e2eEnv({ HOME: dir }) });
  env = e2eEnv({ CONDUCTOR_URL: server.url, HOME: dir });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  runConductor(args, { env: { ...env, ...extraEnv }, cwd: dir });

describe('conductor without a server', () => {
  it('exits 1 with one line when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['status'],
      ['task', 'create', '--project-id', 'p', '--prompt', 'x'],
      ['task', 'list'],
    ]) {
      const result = await runConductor([...args, '--server', url]);
      expect(result.stderr).toBe(
        `Error: cannot reach the conductor server at ${url}: is \`conductor serve\` running?\n`,
      );
      expect(result.stdout).toBe('');
      expect(result.code).toBe(1);
    }
  });

  it('uses CONDUCTOR_URL when --server is not given', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runConductor(['status'], { env: e2eEnv({ CONDUCTOR_URL: url }) });
    expect(result.stderr).toContain(`at ${url}:`);
    expect(result.code).toBe(1);
  });

  it.each([
    [['task', 'create', '--bogus'], "Error: unknown option '--bogus'"],
    [
      ['task', 'create', '--project-id', 'p'],
      'Error: a prompt is required: use --prompt TEXT or --prompt-file FILE',
    ],
    [
      ['task', 'create', '--prompt', 'x', '--prompt-file', 'f.md'],
      'Error: give either --prompt or --prompt-file, not both',
    ],
    [
      ['task', 'create', '--prompt-file', 'no-such.md'],
      'Error: cannot read prompt file no-such.md: no such file or directory',
    ],
    [
      ['task', 'create', '--prompt', 'x', '--timeout', 'soon'],
      'Error: invalid --timeout "soon": use seconds or a duration like 30s, 5m, 1h30m',
    ],
    [
      ['task', 'create', '--prompt', 'x', '--project-id', '../etc'],
      'Error: invalid project id "../etc"',
    ],
    [['task', 'show', 'only-one-arg'], 'Error: task show needs a project and a task'],
    [['task', 'logs', 'p', 't', '--file', 'secrets'], 'Error: invalid --file "secrets"'],
    [['nonsense'], "Error: unknown command 'nonsense'"],
    [['status', '--server', 'ftp://example.org'], 'Error: invalid server URL "ftp://example.org"'],
  ])('bad usage %j exits 2 with one line', async (args, message) => {
    const result = await runConductor(args, {
      env: e2eEnv({ CONDUCTOR_URL: 'http://127.0.0.1:9' }),
      cwd: dir,
    });
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.code).toBe(2);
  });
});

describe('conductor against a running server', () => {
  it('status prints the server facts, and --json parses', async () => {
    const human = await cli(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^server: +http:\/\/127\.0\.0\.1:\d+\nversion: +\d+\.\d+\.\d+/);
    const json = await cli(['status', '--json']);
    const status = JSON.parse(json.stdout) as ServerStatus;
    expect(status.configured_agents).toContain('demo');
    expect(typeof status.uptime_seconds).toBe('number');
  });

  it('task create --wait prints only the task id and exits 0 when the task is done', async () => {
    const result = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'first',
      '--agent',
      'demo',
      '--prompt',
      'Say hello',
      '--wait',
      '--wait-timeout',
      '60s',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('first\n');
    expect(result.code).toBe(0);

    const show = await cli(['task', 'show', 'cli', 'first', '--json']);
    const task = JSON.parse(show.stdout) as TaskDetail;
    expect(task.status).toBe('done');
    expect(task.runs?.at(-1)?.status).toBe('completed');

    const human = await cli(['task', 'show', '--project-id', 'cli', '--task-id', 'first']);
    expect(human.stdout).toMatch(/^project: +cli\ntask: +first\nstatus: +done/);
    expect(human.stdout).toContain('RUN');

    const logs = await cli(['task', 'logs', 'cli', 'first']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('## Summary');

    const list = JSON.parse((await cli(['task', 'list', '--json'])).stdout) as {
      tasks: TaskDetail[];
    };
    expect(list.tasks.map((t) => `${t.project_id}/${t.task_id}`)).toContain('cli/first');
    const table = await cli(['task', 'list', '--project-id', 'cli', '--status', 'done']);
    expect(table.stdout).toMatch(/^PROJECT +TASK +STATUS/);
    expect(table.stdout).toContain('first');

    const runs = JSON.parse(
      (await cli(['runs', 'list', '--project-id', 'cli', '--json'])).stdout,
    ) as RunPage;
    expect(runs.runs[0]?.task_id).toBe('first');
    const runId = runs.runs[0]!.run_id;
    const run = JSON.parse((await cli(['runs', 'show', runId, '--json'])).stdout) as {
      run_id: string;
    };
    expect(run.run_id).toBe(runId);
  });

  it('task create --follow streams the run output and ends with the task', async () => {
    const result = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'followed',
      '--agent',
      'demo',
      '--prompt',
      'Check README.md',
      '--follow',
      '--wait-timeout',
      '60s',
    ]);
    expect(result.code).toBe(0);
    const [id, ...output] = result.stdout.split('\n');
    expect(id).toBe('followed');
    expect(output.join('\n')).toContain('demo agent:');
  });

  it('task create --follow --json keeps stdout for the final task and streams to stderr', async () => {
    const result = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'followed-json',
      '--agent',
      'demo',
      '--prompt',
      'Say hi',
      '--follow',
      '--json',
      '--wait-timeout',
      '60s',
    ]);
    expect(result.code).toBe(0);
    const task = JSON.parse(result.stdout) as TaskDetail;
    expect(task).toMatchObject({ project_id: 'cli', task_id: 'followed-json', status: 'done' });
    expect(result.stderr).toContain('demo agent:');
  });

  it('--cwd and --prompt-file are resolved on the client side', async () => {
    const work = join(dir, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'present.txt'), 'here\n');
    writeFileSync(join(dir, 'ask.md'), 'Check present.txt please.\n');
    const result = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'with-cwd',
      '--agent',
      'demo',
      '--prompt-file',
      'ask.md',
      '--cwd',
      'work',
      '--wait',
      '--wait-timeout',
      '60s',
    ]);
    expect(result.code).toBe(0);
    const output = await cli(['task', 'logs', 'cli', 'with-cwd']);
    expect(output.stdout).toMatch(/present\.txt`?: found/);
  });

  it('task resume runs a done task again', async () => {
    const created = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'again',
      '--agent',
      'demo',
      '--prompt',
      'Say hi',
      '--wait',
      '--wait-timeout',
      '60s',
    ]);
    expect(created.code).toBe(0);
    const resumed = await cli(['task', 'resume', 'cli', 'again']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/^resumed cli\/again: \w+\n$/);
    expect(resumed.code).toBe(0);
    const waited = await cli(['task', 'wait', 'cli', 'again', '--json', '--timeout', '60s']);
    expect(waited.code).toBe(0);
    const task = JSON.parse(waited.stdout) as TaskDetail;
    expect(task.status).toBe('done');
    expect(task.runs?.length).toBe(2);
  });

  it('--wait exits non-zero with the outcome when the task fails', async () => {
    const result = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'broken',
      '--agent',
      'demo',
      '--prompt',
      'DEMO_PERMANENT',
      '--wait',
      '--wait-timeout',
      '60s',
    ]);
    expect(result.stdout).toBe('broken\n');
    expect(result.stderr).toMatch(/^Error: task cli\/broken failed: run \S+ failed/);
    expect(result.code).toBe(2);
  });

  it('delete refuses a running task with a clear line; stop, then delete works', async () => {
    const created = await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'hanging',
      '--agent',
      'demo',
      '--prompt',
      'DEMO_HANG',
    ]);
    expect(created.code).toBe(0);
    const refused = await cli(['task', 'delete', 'cli', 'hanging']);
    expect(refused.stderr).toBe(
      'Error: task cli/hanging is running: stop it first (conductor task stop cli hanging) or pass --force\n',
    );
    expect(refused.code).toBe(2);
    const stopped = await cli(['task', 'stop', 'cli', 'hanging']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^stopping cli\/hanging/);
    const waited = await cli(['task', 'wait', 'cli', 'hanging', '--timeout', '60s']);
    expect(waited.stderr).toBe('Error: task cli/hanging was stopped\n');
    expect(waited.code).toBe(1);
    const deleted = await cli(['task', 'delete', 'cli', 'hanging']);
    expect(deleted.stdout).toBe('deleted cli/hanging\n');
    expect(deleted.code).toBe(0);
    const gone = await cli(['task', 'show', 'cli', 'hanging']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^Error: .*not found/);
  });

  it('delete --force stops a running task first', async () => {
    await cli([
      'task',
      'create',
      '--project-id',
      'cli',
      '--task-id',
      'forced',
      '--agent',
      'demo',
      '--prompt',
      'DEMO_HANG',
    ]);
    const deleted = await cli(['task', 'delete', 'cli', 'forced', '--force']);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
  });

  it('bus post and read go through the API', async () => {
    const posted = await cli([
      'bus',
      'post',
      '--project-id',
      'cli',
      '--task-id',
      'first',
      '--type',
      'FACT',
      '--body',
      'the sky is blue',
    ]);
    expect(posted.code).toBe(0);
    const msgId = posted.stdout.trim();
    expect(msgId).toMatch(/^MSG-/);
    const read = JSON.parse(
      (await cli(['bus', 'read', '--project-id', 'cli', '--task-id', 'first', '--json'])).stdout,
    ) as {
      messages: Message[];
    };
    expect(read.messages.find((m) => m.msg_id === msgId)?.body).toContain('the sky is blue');
    const human = await cli([
      'bus',
      'read',
      '--project-id',
      'cli',
      '--task-id',
      'first',
      '--type',
      'FACT',
    ]);
    expect(human.stdout).toContain(`FACT cli/first (${msgId})`);
  });

  it('bus read --follow prints messages posted after it started', async () => {
    // The server posts only to projects that exist: make one.
    const setup = await cli([
      'task',
      'create',
      '--project-id',
      'busf',
      '--agent',
      'demo',
      '--prompt',
      'Say hi',
      '--wait',
      '--wait-timeout',
      '60s',
    ]);
    expect(setup.code).toBe(0);
    expect((await cli(['bus', 'post', '--project-id', 'busf', '--body', 'before'])).code).toBe(0);
    const child = spawn(
      process.execPath,
      [CONDUCTOR_BIN, 'bus', 'read', '--project-id', 'busf', '--follow', '--json'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    try {
      await waitUntil(
        () => Promise.resolve(out.includes('before')),
        30_000,
        'the existing message',
      );
      await cli(['bus', 'post', '--project-id', 'busf', '--type', 'PROGRESS', '--body', 'after']);
      await waitUntil(
        () => Promise.resolve(out.includes('after')),
        30_000,
        'the new message on the stream',
      );
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Message);
      expect(lines.at(-1)).toMatchObject({
        type: 'PROGRESS',
        body: expect.stringContaining('after'),
      });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('an unknown task is exit 2 and the server keeps serving', async () => {
    const result = await cli(['task', 'show', 'cli', 'no-such-task']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: task cli/no-such-task not found\n');
    expect(await isHealthy(server.url)).toBe(true);
  });
});

describe('conductor with API keys', () => {
  it('exit 3 without the key, works with --api-key or CONDUCTOR_API_KEY', async () => {
    const root = join(dir, 'keyed-runs');
    mkdirSync(root);
    writeFileSync(
      join(dir, 'keys.yaml'),
      'api:\n  api_keys:\n    - user: tester\n      key: sekrit-key-1\n',
    );
    const keyed = await startServer({
      root,
      cwd: dir,
      config: join(dir, 'keys.yaml'),
      env: e2eEnv({ HOME: dir }),
    });
    try {
      const base = e2eEnv({ CONDUCTOR_URL: keyed.url, HOME: dir });
      const denied = await runConductor(['task', 'list'], { env: base });
      expect(denied.stderr).toBe(
        'Error: API key missing or wrong: pass --api-key or set CONDUCTOR_API_KEY\n',
      );
      expect(denied.code).toBe(3);
      const wrong = await runConductor(['task', 'list', '--api-key', 'nope'], { env: base });
      expect(wrong.code).toBe(3);
      const flag = await runConductor(['task', 'list', '--json', '--api-key', 'sekrit-key-1'], {
        env: base,
      });
      expect(flag.code).toBe(0);
      expect(JSON.parse(flag.stdout)).toEqual({ tasks: [] });
      const fromEnv = await runConductor(['status', '--json'], {
        env: { ...base, CONDUCTOR_API_KEY: 'sekrit-key-1' },
      });
      expect(fromEnv.code).toBe(0);
    } finally {
      await keyed.stop();
    }
  });
});

describe('conductor against a rate-limited server', () => {
  it('a 429 is exit 1 with the Retry-After in the message', async () => {
    const root = join(dir, 'limited-runs');
    mkdirSync(root);
    writeFileSync(
      join(dir, 'limits.yaml'),
      'api:\n  api_keys:\n    - { user: alice, key: alice-key }\nrate_limits:\n  per_user:\n    max_concurrent: 1\n',
    );
    const limited = await startServer({
      root,
      cwd: dir,
      config: join(dir, 'limits.yaml'),
      env: e2eEnv({ HOME: dir }),
    });
    try {
      const base = e2eEnv({
        CONDUCTOR_URL: limited.url,
        HOME: dir,
        CONDUCTOR_API_KEY: 'alice-key',
      });
      const create = (id: string) =>
        runConductor(
          [
            'task',
            'create',
            '--project-id',
            'rl',
            '--task-id',
            id,
            '--agent',
            'demo',
            '--prompt',
            'DEMO_HANG',
          ],
          {
            env: base,
          },
        );
      expect((await create('one')).code).toBe(0);
      const second = await create('two');
      expect(second.stderr).toMatch(
        /^Error: rate limited by the server: .*\(Retry-After: \d+s\)\n$/,
      );
      expect(second.code).toBe(1);
      expect((await runConductor(['task', 'stop', 'rl', 'one'], { env: base })).code).toBe(0);
    } finally {
      await limited.stop();
    }
  });
});
