/**
 * The reference's golden API responses (test/fixtures/reference/api, captured from the Go
 * binary against the fixture root) replayed against our server on a copy of that root:
 * same status codes, same fields, same ids. Volatile values (times, uptime, sizes after
 * path substitution, healed statuses) are compared by type only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAll, FIXTURE_API, fixtureRoot, makeApp, type TestApp } from './server-harness.js';

interface Row {
  file: string;
  status: number;
  contentType: string;
  request: string;
}

const rows: Row[] = readFileSync(join(FIXTURE_API, 'INDEX.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file = '', status = '', contentType = '', request = ''] = line.split('\t');
    return { file, status: Number(status), contentType, request };
  });

/** Values that must be equal; everything else is compared by type. */
const STABLE = new Set([
  'run_id',
  'project_id',
  'task_id',
  'id',
  'msg_id',
  'agent',
  'agent_version',
  'type',
  'code',
  'name',
  'label',
  'done',
]);
const ID_KEYS = ['msg_id', 'run_id', 'id', 'task_id', 'name'];

function idOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of ID_KEYS) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') return `${key}=${v}`;
  }
  return undefined;
}

/** Every field of `golden` is in `ours` with the same type (and value for STABLE keys). */
function expectShape(golden: unknown, ours: unknown, path: string): void {
  if (golden === null) return; // Go's null for empty lists/objects: any value is fine
  if (Array.isArray(golden)) {
    expect(Array.isArray(ours), `${path} should be an array`).toBe(true);
    const list = ours as unknown[];
    for (const [i, item] of golden.entries()) {
      const id = idOf(item);
      const match = id !== undefined ? list.find((o) => idOf(o) === id) : list[i];
      expect(match, `${path}[${id ?? i}] missing`).toBeDefined();
      expectShape(item, match, `${path}[${id ?? i}]`);
    }
    return;
  }
  if (typeof golden === 'object') {
    expect(typeof ours, `${path} should be an object`).toBe('object');
    for (const [key, value] of Object.entries(golden as Record<string, unknown>)) {
      const mine = (ours as Record<string, unknown>)[key];
      expect(mine, `${path}.${key} missing`).not.toBeUndefined();
      if (STABLE.has(key) && typeof value !== 'object')
        expect(mine, `${path}.${key}`).toEqual(value);
      else expectShape(value, mine, `${path}.${key}`);
    }
    return;
  }
  expect(typeof ours, `${path} type`).toBe(typeof golden);
}

describe('reference golden API responses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp(fixtureRoot(), { disableTaskStart: true });
  });
  afterAll(async () => {
    await t.close();
    cleanupAll();
  });

  const plainGets = rows.filter(
    (r) => r.contentType === 'application/json' && r.request.startsWith('/'),
  );
  it.each(plainGets.map((r) => [r.file, r] as const))('GET %s', async (_file, row) => {
    const res = await t.app.inject({ method: 'GET', url: row.request });
    expect(res.statusCode).toBe(row.status);
    expect(res.headers['content-type']).toContain('application/json');
    const golden: unknown = JSON.parse(readFileSync(join(FIXTURE_API, row.file), 'utf8'));
    const ours: unknown = res.json();
    if (row.status >= 400) {
      const g = golden as { error: { code: string; message: string } };
      expect(ours).toMatchObject({ error: { code: g.error.code, message: g.error.message } });
      expect((ours as { error: { request_id: string } }).error.request_id).toMatch(/^req-/);
    } else {
      expectShape(golden, ours, row.file);
    }
  });

  it('run-info as YAML, byte for byte', async () => {
    const res = await t.app.inject('/api/v1/runs/20261126-1457310000-2028-1/info');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-yaml');
    expect(res.body).toBe(readFileSync(join(FIXTURE_API, 'v1-run-info.yaml'), 'utf8'));
  });

  it('PUT on a GET route is 405 with the reference body', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/projects' });
    expect(res.statusCode).toBe(405);
    expect(res.json()).toMatchObject({
      error: { code: 'METHOD_NOT_ALLOWED', message: 'method not allowed' },
    });
  });

  it('POST /api/v1/tasks without task_id generates a reference-format id (the seed wins over the reference 400)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: { project_id: 'demo', agent_type: 'codex', prompt: 'x' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().task_id).toMatch(/^task-\d{8}-\d{6}-[a-z0-9-]+$/);
  });

  it('POST /api/v1/tasks with task start disabled creates the task folder and TASK.md only', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      payload: {
        project_id: 'demo',
        task_id: 'task-20260101-000000-other',
        agent_type: 'codex',
        prompt: 'x',
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ project_id: 'demo', task_id: 'task-20260101-000000-other' });
    const task = await t.app.inject(
      '/api/projects/demo/tasks/task-20260101-000000-other/file?name=TASK.md',
    );
    expect(task.json()).toMatchObject({ content: 'x\n', name: 'TASK.md', size_bytes: 2 });
    const runs = await t.app.inject('/api/v1/runs?task_id=task-20260101-000000-other');
    expect(runs.json()).toMatchObject({ runs: [], total: 0 });
  });

  it('finished run stream ends with one status event like the reference', async () => {
    const golden = readFileSync(join(FIXTURE_API, 'v1-run-stream.sse'), 'utf8');
    const goldenStatus = JSON.parse(/data: (.*)/.exec(golden)![1]!) as Record<string, unknown>;
    const res = await t.app.inject('/api/v1/runs/20261126-1457310000-2028-1/stream');
    expect(res.headers['content-type']).toContain('text/event-stream');
    const frames = res.body.trim().split('\n\n');
    const last = frames[frames.length - 1]!;
    expect(last).toMatch(/^event: status\n/);
    const data = JSON.parse(/data: (.*)/.exec(last)![1]!) as Record<string, unknown>;
    expect(data).toMatchObject(goldenStatus);
  });
});
