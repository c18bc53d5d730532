/**
 * docs/api.md contract, in-process through fastify inject(): every route's shape and the
 * error paths (400/401/404/405/409/413/429), request ids, CORS, auth exemptions, the audit
 * log and metrics.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupAll,
  FAKE_AGENTS,
  fixtureRoot,
  freshDir,
  makeApp,
  waitFor,
  type TestApp,
} from './server-harness.js';

const RUN = '20261126-1457310000-2028-1';

interface RunList {
  runs: { run_id: string; status: string }[];
  total: number;
}
const TASK = 'task-20260101-000000-fixture';

afterAll(cleanupAll);

describe('read routes on the fixture root', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp(fixtureRoot(), { disableTaskStart: true });
  });
  afterAll(() => t.close());

  it('health, version, ready, status, agents', async () => {
    expect((await t.app.inject('/api/v1/health')).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject('/api/v1/version')).json()).toEqual({ version: '0.1.0-test' });
    const ready = await t.app.inject('/api/v1/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { root_writable: true, disk_ok: true },
    });
    const status = (await t.app.inject('/api/v1/status')).json();
    expect(status).toMatchObject({
      active_runs_count: 0,
      queued_runs_count: 0,
      version: '0.1.0-test',
      running_tasks: [],
    });
    expect(status.configured_agents).toContain('codex');
    const agents = (await t.app.inject('/api/v1/agents')).json();
    expect(agents.agents).toContainEqual(
      expect.objectContaining({ name: 'demo', type: 'demo', timeout_s: 300 }),
    );
  });

  it('runs: newest first, filters, pagination', async () => {
    const all = (await t.app.inject('/api/v1/runs')).json<RunList>();
    expect(all.total).toBe(7);
    const ids = all.runs.map((r) => r.run_id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.runs[0]).toMatchObject({
      project_id: 'demo',
      task_id: TASK,
      status: 'completed',
      exit_code: 0,
    });
    const page = (await t.app.inject('/api/v1/runs?limit=2&offset=2')).json<RunList>();
    expect(page).toMatchObject({ total: 7, limit: 2, offset: 2, has_more: true });
    expect(page.runs.map((r) => r.run_id)).toEqual(ids.slice(2, 4));
    const failed = (
      await t.app.inject('/api/v1/runs?status=failed&project_id=demo')
    ).json<RunList>();
    expect(failed.runs.map((r) => r.run_id)).toContain(RUN);
    expect(failed.runs.every((r) => r.status === 'failed')).toBe(true);
    expect((await t.app.inject('/api/v1/runs?agent=echo')).json().total).toBe(1);
    expect((await t.app.inject('/api/v1/runs?limit=0')).statusCode).toBe(400);
    expect((await t.app.inject('/api/v1/runs?limit=abc')).statusCode).toBe(400);
  });

  it('run detail has every run-info field and children', async () => {
    const run = (await t.app.inject('/api/v1/runs/20261126-1457060000-1789-1')).json();
    expect(run).toMatchObject({
      run_id: '20261126-1457060000-1789-1',
      agent: 'codex',
      commandline: expect.any(String),
    });
    expect(run.children).toEqual(['20261126-1457320000-2040-1']);
    const failed = (await t.app.inject(`/api/v1/runs/${RUN}`)).json();
    expect(failed).toMatchObject({
      status: 'failed',
      exit_code: 2,
      error_summary: 'agent usage error',
    });
  });

  it('run files: whole, tail, offset/limit, Range, unknown name', async () => {
    const whole = await t.app.inject(`/api/v1/runs/${RUN}/files/stderr`);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toContain('text/plain');
    expect(whole.body).toBe('fake codex stderr line\npermanent failure: invalid input\n');
    expect(whole.headers['x-file-size']).toBe(String(Buffer.byteLength(whole.body)));
    const tail = await t.app.inject(`/api/v1/runs/${RUN}/files/stderr?tail=6`);
    expect(tail.body).toBe('input\n');
    const slice = await t.app.inject(`/api/v1/runs/${RUN}/files/stderr?offset=5&limit=5`);
    expect(slice.body).toBe('codex');
    const range = await t.app.inject({
      url: `/api/v1/runs/${RUN}/files/stderr`,
      headers: { range: 'bytes=0-3' },
    });
    expect(range.statusCode).toBe(206);
    expect(range.body).toBe('fake');
    expect(range.headers['content-range']).toBe(`bytes 0-3/${whole.body.length}`);
    expect((await t.app.inject(`/api/v1/runs/${RUN}/files/output.md`)).statusCode).toBe(200);
    expect((await t.app.inject(`/api/v1/runs/${RUN}/files/prompt`)).body).toContain(
      'BARS_PERMANENT',
    );
    const bad = await t.app.inject(`/api/v1/runs/${RUN}/files/run-info.yaml`);
    expect(bad.statusCode).toBe(404);
    expect(
      (await t.app.inject(`/api/v1/runs/${RUN}/files/stdout?tail=1&offset=1`)).statusCode,
    ).toBe(400);
  });

  it('projects, tasks list and detail', async () => {
    const projects = (await t.app.inject('/api/v1/projects')).json();
    expect(projects.projects).toEqual([
      expect.objectContaining({
        project_id: 'demo',
        task_count: 1,
        run_count: 7,
        running_count: 0,
      }),
    ]);
    const list = (await t.app.inject('/api/v1/projects/demo/tasks')).json();
    expect(list).toMatchObject({ total: 1, limit: 50, offset: 0, has_more: false });
    expect(list.tasks[0]).toMatchObject({
      task_id: TASK,
      status: 'done',
      done: true,
      run_count: 7,
    });
    expect((await t.app.inject('/api/v1/projects/demo/tasks?status=running')).json().total).toBe(0);
    expect((await t.app.inject('/api/v1/projects/demo/tasks?q=fixture')).json().total).toBe(1);
    const detail = (await t.app.inject(`/api/v1/projects/demo/tasks/${TASK}`)).json();
    expect(detail.prompt).toBe('Summarise the repository layout.\n');
    expect(detail.runs).toHaveLength(7);
    expect(detail.runs[0].run_id < detail.runs[6].run_id).toBe(true);
    expect((await t.app.inject('/api/v1/projects/nope/tasks')).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/projects/demo/tasks/nope')).statusCode).toBe(404);
  });

  it('messages: read with type/since filters, unknown since -> 404, post -> 201', async () => {
    const all = (await t.app.inject(`/api/v1/messages?project_id=demo&task_id=${TASK}`)).json();
    expect(all.messages.length).toBeGreaterThan(5);
    const first = all.messages[0];
    expect(first).toMatchObject({
      msg_id: expect.stringMatching(/^MSG-/),
      ts: expect.any(String),
      type: 'RUN_START',
    });
    const facts = (
      await t.app.inject(`/api/v1/messages?project_id=demo&task_id=${TASK}&type=FACT`)
    ).json<{ messages: { type: string }[] }>();
    expect(facts.messages.every((m) => m.type === 'FACT')).toBe(true);
    const since = (
      await t.app.inject(`/api/v1/messages?project_id=demo&task_id=${TASK}&since=${first.msg_id}`)
    ).json();
    expect(since.messages).toHaveLength(all.messages.length - 1);
    const unknown = await t.app.inject(
      `/api/v1/messages?project_id=demo&since=MSG-20000101-000000-000000000-PID00000-0000`,
    );
    expect(unknown.statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/messages')).statusCode).toBe(400);
    const post = await t.app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      payload: { project_id: 'demo', task_id: TASK, type: 'FACT', body: 'posted via API' },
    });
    expect(post.statusCode).toBe(201);
    expect(post.json()).toMatchObject({
      msg_id: expect.stringMatching(/^MSG-/),
      timestamp: expect.any(String),
    });
    const last = (
      await t.app.inject(`/api/v1/messages?project_id=demo&task_id=${TASK}&limit=1`)
    ).json();
    expect(last.messages[0]).toMatchObject({ msg_id: post.json().msg_id, body: 'posted via API' });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/messages',
          payload: { project_id: 'demo' },
        })
      ).statusCode,
    ).toBe(400);
    const audit = readFileSync(join(t.ctx.root, '_audit/audit.jsonl'), 'utf8');
    expect(audit).toContain('"action":"bus.post"');
    expect(audit).not.toContain('posted via API');
  });

  it('stats', async () => {
    const stats = (await t.app.inject('/api/v1/stats')).json();
    expect(stats.runs_by_status).toMatchObject({ completed: 4, failed: 3 });
    expect(stats.tasks_by_status).toEqual({ done: 1 });
    expect(stats.agents.codex).toMatchObject({ completed: 3, failed: 3 });
    expect((stats.duration_histogram as unknown[]).at(-1)).toMatchObject({ le_seconds: '+Inf' });
    expect(stats.throughput).toHaveLength(60);
  });

  it('metrics in Prometheus text, including HTTP and disk gauges', async () => {
    await t.app.inject('/api/v1/runs');
    const res = await t.app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of [
      'conductor_tasks_created_total',
      'conductor_active_agents',
      'conductor_queue_depth',
      'conductor_http_requests_total{route="/api/v1/runs",method="GET",status="200"}',
      'conductor_http_request_duration_seconds_bucket',
      'conductor_root_disk_free_bytes',
      'conductor_root_disk_total_bytes',
      'conductor_uptime_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(res.body).toContain(name);
    }
  });

  it('request ids: generated, echoed, client ids kept only when safe', async () => {
    const gen = await t.app.inject('/api/v1/health');
    expect(gen.headers['x-request-id']).toMatch(/^req-\d+-[0-9a-f]{12}$/);
    const mine = await t.app.inject({
      url: '/api/v1/health',
      headers: { 'x-request-id': 'client-abc.123' },
    });
    expect(mine.headers['x-request-id']).toBe('client-abc.123');
    const evil = await t.app.inject({
      url: '/api/v1/health',
      headers: { 'x-request-id': 'a b\u0001' + 'x'.repeat(300) },
    });
    expect(evil.headers['x-request-id']).toMatch(/^req-/);
    const err = await t.app.inject({
      url: '/api/v1/runs/nope',
      headers: { 'x-request-id': 'trace-1' },
    });
    expect(err.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'run not found: nope', request_id: 'trace-1' },
    });
  });

  it('405 for a known path with another method, 404 JSON for unknown API paths', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/runs' });
    expect(res.statusCode).toBe(405);
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
    const missing = await t.app.inject('/api/v1/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('UI placeholder at / and SPA paths when the UI is not built', async () => {
    const res = await t.app.inject('/projects/demo');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('npm run build');
    expect((await t.app.inject('/ui')).statusCode).toBe(301);
  });

  it('400 for malformed JSON and 415-free form of errors', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      headers: { 'content-type': 'application/json' },
      payload: '{"project_id": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'INVALID_INPUT',
      request_id: expect.any(String),
    });
  });
});

describe('reference extras: project create, task run stream, run delete', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp(fixtureRoot(), { disableTaskStart: true });
  });
  afterAll(() => t.close());

  it('POST /api/projects records the home folder; 409 when it exists', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      payload: { project_id: 'newp', project_root: '/src/newp' },
    });
    expect(res.statusCode).toBe(201);
    expect((await t.app.inject('/api/projects/newp')).json()).toMatchObject({
      id: 'newp',
      project_root: '/src/newp',
      task_count: 0,
    });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/projects',
          payload: { project_id: 'newp' },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/projects',
          payload: { project_id: '../x' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('a task run stream starts with the status of every run', async () => {
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { openSse } = await import('./server-harness.js');
    const stream = openSse(`${base}/api/projects/demo/tasks/${TASK}/runs/stream`);
    await waitFor('statuses', () => stream.events.filter((e) => e.event === 'status').length === 7);
    expect(JSON.parse(stream.events[0]!.data)).toMatchObject({
      project_id: 'demo',
      task_id: TASK,
      run_id: expect.any(String),
    });
    stream.close();
  });

  it('DELETE a finished run: 403 from the web UI, 204, then 404', async () => {
    const url = `/api/projects/demo/tasks/${TASK}/runs/20261126-1457460000-2440-1`;
    expect(
      (await t.app.inject({ method: 'DELETE', url, headers: { 'x-conductor-client': 'web-ui' } }))
        .statusCode,
    ).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url })).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/runs/20261126-1457460000-2440-1')).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/runs')).json<RunList>().total).toBe(6);
  });
});

describe('web UI files', () => {
  it('serves web/dist with SPA fallback; missing assets are 404; /ui redirects to /ui/', async () => {
    const webDir = freshDir();
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
    const t = await makeApp(freshDir(), { webDir });
    try {
      const index = await t.app.inject('/');
      expect(index.statusCode).toBe(200);
      expect(index.body).toContain('<title>ui</title>');
      expect((await t.app.inject('/assets/app.js')).headers['content-type']).toContain(
        'javascript',
      );
      expect((await t.app.inject('/projects/p/tasks/t')).body).toContain('<title>ui</title>');
      expect((await t.app.inject('/ui/')).body).toContain('<title>ui</title>');
      expect((await t.app.inject('/ui')).headers.location).toBe('/ui/');
      expect((await t.app.inject('/assets/missing.js')).statusCode).toBe(404);
      expect((await t.app.inject('/api/v1/unknown')).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });
});

describe('auth, CORS, body limit, rate limits', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('401 without a key, Bearer and X-API-Key accepted, exemptions, failed auth audited', async () => {
    const root = fixtureRoot();
    t = await makeApp(root, {
      configure: (c) => (c.api.apiKeys = [{ user: 'alice', key: 'secret-key-1' }]),
      extraApiKeys: [{ user: 'bob', key: 'other-key' }],
    });
    const denied = await t.app.inject('/api/v1/runs');
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="conductor"');
    expect(denied.json().error.code).toBe('UNAUTHORIZED');
    expect(
      (
        await t.app.inject({
          url: '/api/v1/runs',
          headers: { authorization: 'Bearer wrong-token-xyz' },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await t.app.inject({
          url: '/api/v1/runs',
          headers: { authorization: 'Bearer secret-key-1' },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ url: '/api/v1/runs', headers: { 'x-api-key': 'other-key' } }))
        .statusCode,
    ).toBe(200);
    for (const open of ['/api/v1/health', '/api/v1/version', '/metrics', '/healthz', '/']) {
      expect((await t.app.inject(open)).statusCode, open).toBe(200);
    }
    const audit = readFileSync(join(root, '_audit/audit.jsonl'), 'utf8').trim().split('\n');
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[1]!)).toMatchObject({
      action: 'auth.failed',
      reason: 'wrong key',
      path: '/api/v1/runs',
    });
    expect(audit.join('\n')).not.toContain('wrong-token-xyz');
  });

  it('readiness is 503 when free disk space is below storage.min_free_bytes', async () => {
    t = await makeApp(freshDir(), {
      configure: (c) => (c.storage.minFreeBytes = Number.MAX_SAFE_INTEGER),
    });
    const res = await t.app.inject('/api/v1/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'not_ready',
      checks: { root_writable: true, disk_ok: false },
    });
    expect((await t.app.inject('/api/v1/health')).statusCode).toBe(200);
  });

  it('CORS allow-list and preflight', async () => {
    t = await makeApp(freshDir(), {
      configure: (c) => (c.api.corsOrigins = ['http://ui.example']),
    });
    const ok = await t.app.inject({
      url: '/api/v1/health',
      headers: { origin: 'http://ui.example' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('http://ui.example');
    const other = await t.app.inject({
      url: '/api/v1/health',
      headers: { origin: 'http://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/tasks',
      headers: { origin: 'http://ui.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
  });

  it('413 over the body limit', async () => {
    t = await makeApp(fixtureRoot(), { configure: (c) => (c.api.bodyLimitBytes = 1024) });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      payload: { project_id: 'demo', body: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('429 with Retry-After past requests_per_hour; per-agent daily limit', async () => {
    t = await makeApp(freshDir(), {
      disableTaskStart: true,
      configure: (c) => {
        // Per-user limits apply to API-key users.
        c.api.apiKeys = [{ user: 'alice', key: 'alice-key' }];
        c.rateLimits.perUser.requestsPerHour = 2;
        c.rateLimits.perAgent.requestsPerDay = 1000;
      },
    });
    const create = (id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { authorization: 'Bearer alice-key' },
        payload: { project_id: 'p', task_id: id, agent: 'demo', prompt: 'hi' },
      });
    expect((await create('a')).statusCode).toBe(201);
    expect((await create('b')).statusCode).toBe(201);
    const limited = await create('c');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3000);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    await t.close();
    t = await makeApp(freshDir(), {
      disableTaskStart: true,
      configure: (c) => {
        c.api.apiKeys = [{ user: 'alice', key: 'alice-key' }];
        c.rateLimits.perAgent.requestsPerDay = 1;
      },
    });
    expect((await create('a')).statusCode).toBe(201);
    const perAgent = await create('b');
    expect(perAgent.statusCode).toBe(429);
    expect(perAgent.json().error.message).toContain('agent demo');
  });

  it('task create validation: unknown agent, bad ids, missing prompt, prompt_file outside the root', async () => {
    t = await makeApp(freshDir(), { disableTaskStart: true });
    const post = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/api/v1/tasks', payload });
    const unknown = await post({ project_id: 'p', agent: 'invalid-agent', prompt: 'x' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/unknown agent "invalid-agent" \(known: .*codex/);
    expect((await post({ project_id: '../x', agent: 'demo', prompt: 'x' })).statusCode).toBe(400);
    expect(
      (await post({ project_id: 'p', task_id: 'a/b', agent: 'demo', prompt: 'x' })).statusCode,
    ).toBe(400);
    expect((await post({ project_id: 'p', agent: 'demo' })).statusCode).toBe(400);
    expect(
      (await post({ project_id: 'p', agent: 'demo', prompt_file: '/etc/passwd' })).statusCode,
    ).toBe(400);
    expect(
      (await post({ project_id: 'p', agent: 'demo', prompt: 'x', depends_on: ['..'] })).statusCode,
    ).toBe(400);
    expect(existsSync(join(t.ctx.root, 'p'))).toBe(false);
  });
});

describe('task lifecycle with a real agent', () => {
  let t: TestApp;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${FAKE_AGENTS}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
  });
  afterEach(() => t.close());

  it('create -> running -> 409 on delete -> stop -> resume -> done -> delete', async () => {
    const root = freshDir();
    t = await makeApp(root, { configure: (c) => (c.defaults.stopGraceMs = 2_000) });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { project_id: 'p', task_id: 't1', agent: 'codex', prompt: 'work FAKE_SLOW=5' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      project_id: 'p',
      task_id: 't1',
      run_id: expect.any(String),
    });
    const runId = created.json().run_id as string;
    await waitFor(
      'run running',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'running',
    );
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { project_id: 'p', task_id: 't1', agent: 'codex', prompt: 'again' },
    });
    expect(again.statusCode).toBe(409);
    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/projects/p/tasks/t1' });
    expect(del.statusCode).toBe(409);
    expect(del.json().error.code).toBe('CONFLICT');
    const stop = await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/t1/stop' });
    expect(stop.statusCode).toBe(202);
    expect(stop.json()).toEqual({ stopped_runs: 1 });
    await waitFor(
      'run stopped',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'stopped',
    );
    await waitFor('task not running', async () => {
      const s = (await t.app.inject('/api/v1/projects/p/tasks/t1')).json().status;
      return s !== 'running' && s !== 'queued';
    });
    const resumed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/projects/p/tasks/t1/resume',
    });
    expect(resumed.statusCode).toBe(202);
    expect(resumed.json()).toMatchObject({ project_id: 'p', task_id: 't1' });
    await waitFor(
      'task done',
      async () => (await t.app.inject('/api/v1/projects/p/tasks/t1')).json().status === 'done',
      60_000,
    );
    const detail = (await t.app.inject('/api/v1/projects/p/tasks/t1')).json();
    expect((detail.runs as unknown[]).at(-1)).toMatchObject({
      status: 'completed',
      exit_code: 0,
      previous_run_id: runId,
    });
    const webUi = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/projects/p/tasks/t1',
      headers: { 'x-conductor-client': 'web-ui' },
    });
    expect(webUi.statusCode).toBe(403);
    // The loop ends just after DONE (children, FACT propagation): delete succeeds once it has.
    await waitFor('delete accepted', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/projects/p/tasks/t1' });
      return res.statusCode === 204 || (res.statusCode !== 409 && res.statusCode);
    });
    expect(existsSync(join(root, 'p', 't1'))).toBe(false);
    expect((await t.app.inject('/api/v1/projects/p/tasks/t1')).statusCode).toBe(404);
    const actions = readFileSync(join(root, '_audit/audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions).toEqual(['task.create', 'task.stop', 'task.resume', 'task.delete']);
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(/conductor_tasks_created_total 1/);
    expect(metrics).toMatch(/conductor_agent_runs_total\{agent="codex",status="success"\} 1/);
    expect(metrics).toMatch(/conductor_agent_runs_total\{agent="codex",status="error"\} 1/);
    expect(metrics).toMatch(/conductor_agent_tokens_total\{agent="codex",kind="input"\} \d+/);
    expect(metrics).toMatch(/conductor_agent_response_seconds_count\{agent="codex"\} 2/);
  });

  it('a loop that refuses to start is the request error; a blocked task answers at once', async () => {
    t = await makeApp(freshDir());
    const self = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { project_id: 'p', task_id: 'me', agent: 'codex', prompt: 'x', depends_on: ['me'] },
    });
    expect(self.statusCode).toBe(400);
    expect(self.json().error.message).toMatch(/itself|self/);
    const started = Date.now();
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: {
        project_id: 'p',
        task_id: 'later',
        agent: 'codex',
        prompt: 'x',
        depends_on: ['first'],
      },
    });
    expect(blocked.statusCode).toBe(201);
    expect(blocked.json()).toMatchObject({ status: 'blocked', depends_on: ['first'] });
    // Not waiting for the dependency (which never finishes): the answer comes at once.
    expect(Date.now() - started).toBeLessThan(10_000);
    const task = (await t.app.inject('/api/v1/projects/p/tasks/later')).json();
    expect(task).toMatchObject({ status: 'blocked', blocked_by: ['first'] });
    await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/later/stop' });
  });

  it('429 when the user already has max_concurrent active tasks', async () => {
    t = await makeApp(freshDir(), {
      configure: (c) => {
        c.api.apiKeys = [{ user: 'alice', key: 'alice-key' }];
        c.rateLimits.perUser.maxConcurrent = 1;
        c.defaults.stopGraceMs = 2_000;
      },
    });
    const headers = { authorization: 'Bearer alice-key' };
    const create = (id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers,
        payload: { project_id: 'p', task_id: id, agent: 'codex', prompt: 'FAKE_SLOW=20' },
      });
    expect((await create('one')).statusCode).toBe(201);
    const second = await create('two');
    expect(second.statusCode).toBe(429);
    expect(second.json().error.message).toMatch(/1 active tasks \(max 1\)/);
    expect(second.headers['retry-after']).toBeDefined();
    await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/one/stop', headers });
    await waitFor('slot back', async () => (await create('three')).statusCode === 201, 20_000, 200);
    await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/three/stop', headers });
  });

  it('run stop: 202 then stopped; 409 once ended', async () => {
    t = await makeApp(freshDir(), { configure: (c) => (c.defaults.stopGraceMs = 2_000) });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: {
        project_id: 'p',
        task_id: 't2',
        agent: 'codex',
        prompt: 'FAKE_SLOW=30',
        max_restarts: 0,
      },
    });
    const runId = created.json().run_id as string;
    await waitFor(
      'running',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'running',
    );
    const stop = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/stop` });
    expect(stop.statusCode).toBe(202);
    expect(stop.json()).toEqual({ status: 'stopping' });
    await waitFor(
      'stopped',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'stopped',
    );
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/stop` })).statusCode,
    ).toBe(409);
    await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/t2/stop' });
  });
});
