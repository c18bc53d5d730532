/**
 * Issue #5 gaps of the server: queue_position of queued tasks, the reference's
 * /api/projects/home-dirs, DELETE /api/projects/{p} and POST /api/projects/{p}/gc.
 */
import { existsSync, readFileSync } from 'node:fs';
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
import { ownedLoops } from '../../src/server/task-service.js';

afterAll(cleanupAll);

describe('queue_position', () => {
  let t: TestApp;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${FAKE_AGENTS}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
  });
  afterEach(async () => {
    for (const id of ['t1', 't2', 't3']) {
      await t.app.inject({ method: 'POST', url: `/api/v1/projects/p/tasks/${id}/stop` });
    }
    await waitFor('no active runs', async () => {
      const runs = (await t.app.inject('/api/v1/runs?project_id=p')).json().runs as {
        status: string;
      }[];
      return runs.every((r) => r.status !== 'running' && r.status !== 'queued');
    });
    // Let the loops finish their last bus posts before the root is removed.
    await Promise.all([...ownedLoops.values()].map((l) => l.done));
    await t.close();
  });

  it('queued tasks report their 1-based place in the slot queue', async () => {
    t = await makeApp(freshDir(), {
      configure: (c) => {
        c.defaults.maxConcurrentRuns = 1;
        c.defaults.stopGraceMs = 2_000;
      },
    });
    const post = (task_id: string, prompt: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        payload: { project_id: 'p', task_id, agent: 'codex', prompt },
      });
    const first = await post('t1', 'work FAKE_HANG');
    expect(first.statusCode).toBe(201);
    const runId = first.json().run_id as string;
    await waitFor(
      't1 running',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'running',
    );
    const second = await post('t2', 'second');
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ status: 'queued', queue_position: 1 });
    const third = await post('t3', 'third');
    expect(third.json()).toMatchObject({ status: 'queued', queue_position: 2 });

    const v1 = (await t.app.inject('/api/v1/projects/p/tasks')).json().tasks as Record<
      string,
      unknown
    >[];
    const byId = (list: Record<string, unknown>[], key: string, id: string) =>
      list.find((x) => x[key] === id);
    expect(byId(v1, 'task_id', 't1')).not.toHaveProperty('queue_position');
    expect(byId(v1, 'task_id', 't2')).toMatchObject({ status: 'queued', queue_position: 1 });
    expect(byId(v1, 'task_id', 't3')).toMatchObject({ status: 'queued', queue_position: 2 });

    const ref = (await t.app.inject('/api/v1/tasks?project_id=p')).json().tasks as Record<
      string,
      unknown
    >[];
    expect(byId(ref, 'task_id', 't2')).toMatchObject({ status: 'queued', queue_position: 1 });
    expect(byId(ref, 'task_id', 't3')).toMatchObject({ queue_position: 2 });
    const items = (await t.app.inject('/api/projects/p/tasks')).json().items as Record<
      string,
      unknown
    >[];
    expect(byId(items, 'id', 't3')).toMatchObject({ queue_position: 2 });
    const detail = (await t.app.inject('/api/v1/projects/p/tasks/t2')).json();
    expect(detail).toMatchObject({ queue_position: 1 });

    // The head of the queue leaves: everyone behind it moves up.
    await t.app.inject({ method: 'POST', url: '/api/v1/projects/p/tasks/t2/stop' });
    await waitFor('t3 moves up', async () => {
      const d = (await t.app.inject('/api/v1/projects/p/tasks/t3')).json();
      return d.queue_position === 1;
    });
  });
});

describe('GET /api/projects/home-dirs', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('lists the distinct home folders of known projects', async () => {
    t = await makeApp(freshDir(), { disableTaskStart: true });
    expect((await t.app.inject('/api/projects/home-dirs')).json()).toEqual({ dirs: [] });
    const create = (project_id: string, project_root?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/projects',
        payload: { project_id, ...(project_root !== undefined ? { project_root } : {}) },
      });
    expect((await create('b', '/srv/work/b')).statusCode).toBe(201);
    expect((await create('a', '/srv/work/a')).statusCode).toBe(201);
    expect((await create('a2', '/srv/work/a')).statusCode).toBe(201);
    expect((await create('none')).statusCode).toBe(201);
    const res = await t.app.inject('/api/projects/home-dirs');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ dirs: ['/srv/work/a', '/srv/work/b'] });
  });
});

function auditActions(t: TestApp): { action: string; project_id?: string; reason?: string }[] {
  if (!existsSync(t.ctx.audit.path)) return [];
  return readFileSync(t.ctx.audit.path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { action: string; project_id?: string });
}

describe('DELETE /api/projects/{p}', () => {
  let t: TestApp;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${FAKE_AGENTS}:${savedPath}`;
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await Promise.all([...ownedLoops.values()].map((l) => l.done));
    await t.close();
  });

  it('409 while a task runs, 403 from the web UI, force stops and deletes, audited', async () => {
    t = await makeApp(freshDir(), { configure: (c) => (c.defaults.stopGraceMs = 2_000) });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { project_id: 'p', task_id: 't1', agent: 'codex', prompt: 'work FAKE_HANG' },
    });
    expect(created.statusCode).toBe(201);
    const runId = created.json().run_id as string;
    await waitFor(
      'run running',
      async () => (await t.app.inject(`/api/v1/runs/${runId}`)).json().status === 'running',
    );
    const webUi = await t.app.inject({
      method: 'DELETE',
      url: '/api/projects/p?force=true',
      headers: { 'x-conductor-client': 'web-ui' },
    });
    expect(webUi.statusCode).toBe(403);
    const busy = await t.app.inject({ method: 'DELETE', url: '/api/projects/p' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe('CONFLICT');
    expect(existsSync(join(t.ctx.root, 'p', 't1'))).toBe(true);

    const forced = await t.app.inject({ method: 'DELETE', url: '/api/projects/p?force=true' });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toEqual({ project_id: 'p', deleted_tasks: 1, stopped_runs: 1 });
    expect(existsSync(join(t.ctx.root, 'p'))).toBe(false);
    expect((await t.app.inject('/api/projects/p')).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/runs?project_id=p')).json().total).toBe(0);
    expect(auditActions(t)).toContainEqual(
      expect.objectContaining({ action: 'project.delete', project_id: 'p', reason: 'force' }),
    );
  });

  it('deletes an idle project without force; unknown 404, bad id 400', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      payload: { project_id: 'idle', project_root: '/srv/idle' },
    });
    expect(made.statusCode).toBe(201);
    const res = await t.app.inject({ method: 'DELETE', url: '/api/projects/idle' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ deleted_tasks: 0, stopped_runs: 0 });
    expect(existsSync(join(t.ctx.root, 'idle'))).toBe(false);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/projects/nope' })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ method: 'DELETE', url: '/api/projects/a%20b' })).statusCode).toBe(
      400,
    );
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/projects/idle?force=maybe' })).statusCode,
    ).toBe(400);
  });
});

describe('POST /api/projects/{p}/gc', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('dry run lists, a real run prunes finished runs and updates the lists, audited', async () => {
    t = await makeApp(fixtureRoot(), { disableTaskStart: true });
    const total = (await t.app.inject('/api/v1/runs?project_id=demo')).json().total as number;
    expect(total).toBeGreaterThan(0);
    const gc = (payload?: Record<string, unknown>, query = '') =>
      t.app.inject({
        method: 'POST',
        url: `/api/projects/demo/gc${query}`,
        ...(payload !== undefined ? { payload: payload } : {}),
      });

    const young = await gc({ older_than: '30d', dry_run: true });
    expect(young.statusCode).toBe(200);
    expect(young.json()).toMatchObject({ dry_run: true, pruned: [], pruned_count: 0, kept: total });

    const dry = await gc(undefined, '?older_than=1s&dry_run=true');
    expect(dry.statusCode).toBe(200);
    const listed = dry.json<{
      pruned: { task_id: string; run_id: string; status: string; bytes: number }[];
      kept: number;
      bytes_freed: number;
    }>();
    expect(listed.pruned.length).toBeGreaterThan(0);
    expect(listed.pruned.length + listed.kept).toBe(total);
    expect(listed.bytes_freed).toBeGreaterThan(0);
    const first = listed.pruned[0]!;
    expect((await t.app.inject(`/api/v1/runs/${first.run_id}`)).statusCode).toBe(200);

    const real = await gc({ older_than: '1s' });
    expect(real.statusCode).toBe(200);
    expect(real.json()).toMatchObject({ dry_run: false, pruned_count: listed.pruned.length });
    expect((await t.app.inject(`/api/v1/runs/${first.run_id}`)).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/runs?project_id=demo')).json().total).toBe(listed.kept);
    expect(existsSync(join(t.ctx.root, 'demo', first.task_id, 'GC-SUMMARY.md'))).toBe(true);
    expect(auditActions(t)).toContainEqual(
      expect.objectContaining({ action: 'project.gc', project_id: 'demo' }),
    );
  });

  it('403 from the web UI, 400 on a bad age, 404 for an unknown project', async () => {
    const webUi = await t.app.inject({
      method: 'POST',
      url: '/api/projects/demo/gc',
      headers: { 'x-conductor-client': 'web-ui' },
    });
    expect(webUi.statusCode).toBe(403);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/projects/demo/gc',
      payload: { older_than: 'soon' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('older_than');
    const missing = await t.app.inject({ method: 'POST', url: '/api/projects/nope/gc' });
    expect(missing.statusCode).toBe(404);
  });
});
