/**
 * Event streams over real HTTP on 127.0.0.1: bus messages and run logs resume with
 * Last-Event-ID without losing or repeating anything, index events, heartbeats, limits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupAll,
  FAKE_AGENTS,
  freshDir,
  httpJson,
  makeApp,
  openSse,
  waitFor,
  type SseEvent,
  type TestApp,
} from './server-harness.js';

let t: TestApp;
let base: string;

async function listen(options: Parameters<typeof makeApp>[1] = {}): Promise<void> {
  t = await makeApp(freshDir(), options);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
}

async function post(body: string): Promise<string> {
  const res = await httpJson(`${base}/api/v1/messages`, {
    method: 'POST',
    body: { project_id: 'p', task_id: 't', type: 'INFO', body },
  });
  expect(res.status).toBe(201);
  return (res.body as { msg_id: string }).msg_id;
}

const bodies = (events: SseEvent[]): string[] =>
  events
    .filter((e) => e.event === 'message')
    .map((e) => (JSON.parse(e.data) as { body: string }).body.trim());

afterEach(async () => {
  await t.close();
});
afterAll(cleanupAll);

describe('message stream', () => {
  it('replays, follows, and resumes after Last-Event-ID without loss or duplicates', async () => {
    await listen({ pollMs: 50 });
    await import('node:fs').then((fs) =>
      fs.mkdirSync(join(t.ctx.root, 'p', 't'), { recursive: true }),
    );
    for (let i = 0; i < 3; i++) await post(`m${i}`);
    const url = `${base}/api/v1/messages/stream?project_id=p&task_id=t`;
    const first = openSse(url);
    expect((await first.response).headers['content-type']).toContain('text/event-stream');
    await waitFor('replay', () => bodies(first.events).length === 3);
    // Messages posted while connected arrive live.
    for (let i = 3; i < 6; i++) await post(`m${i}`);
    await waitFor('live', () => bodies(first.events).length === 6);
    const lastId = first.events.filter((e) => e.event === 'message').at(-1)!.id!;
    first.close();
    // Posted while disconnected, then resume.
    const posting = (async () => {
      for (let i = 6; i < 26; i++) await post(`m${i}`);
    })();
    await new Promise((r) => setTimeout(r, 20));
    const second = openSse(url, { 'last-event-id': lastId });
    await posting;
    await waitFor('resumed', () => bodies(second.events).length >= 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(bodies(second.events)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 6}`));
    expect(
      second.events.filter((e) => e.event === 'message').every((e) => /^MSG-/.test(e.id!)),
    ).toBe(true);
    second.close();
  });

  it('unknown Last-Event-ID -> 404 before the stream opens; type filter', async () => {
    await listen({ pollMs: 50 });
    await import('node:fs').then((fs) =>
      fs.mkdirSync(join(t.ctx.root, 'p', 't'), { recursive: true }),
    );
    await post('x');
    const res = await httpJson(`${base}/api/v1/messages/stream?project_id=p&task_id=t`, {
      headers: { 'last-event-id': 'MSG-20000101-000000-000000000-PID00000-0000' },
    });
    expect(res.status).toBe(404);
    const facts = openSse(`${base}/api/v1/messages/stream?project_id=p&task_id=t&type=FACT`);
    await facts.response;
    await httpJson(`${base}/api/v1/messages`, {
      method: 'POST',
      body: { project_id: 'p', task_id: 't', type: 'FACT', body: 'a fact' },
    });
    await post('not a fact');
    await waitFor('fact', () => bodies(facts.events).length === 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(bodies(facts.events)).toEqual(['a fact']);
    facts.close();
  });

  it('heartbeats and the client limit', async () => {
    await listen({ heartbeatMs: 50, maxSseClients: 2 });
    const a = openSse(`${base}/api/v1/events`);
    const b = openSse(`${base}/api/v1/events`);
    await a.response;
    await b.response;
    await waitFor('heartbeat', () => a.events.some((e) => e.event === 'heartbeat'));
    const c = await httpJson(`${base}/api/v1/events`);
    expect(c.status).toBe(503);
    expect(c.headers.get('retry-after')).toBe('5');
    a.close();
    await waitFor('slot freed', () => t.ctx.sse.size === 1);
    const d = openSse(`${base}/api/v1/events`);
    expect((await d.response).statusCode).toBe(200);
    b.close();
    d.close();
  });
});

describe('run log stream and index events', () => {
  const savedPath = process.env.PATH;
  beforeAll(() => {
    process.env.PATH = `${FAKE_AGENTS}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
  });

  it('streams stdout while the run grows, resumes by byte offsets, ends with status', async () => {
    await listen({ pollMs: 50 });
    const events = openSse(`${base}/api/v1/events`);
    await events.response;
    const created = await httpJson(`${base}/api/v1/tasks`, {
      method: 'POST',
      body: { project_id: 'p', task_id: 'logs', agent: 'codex', prompt: 'FAKE_SLOW=2 FAKE_STDERR' },
    });
    expect(created.status).toBe(201);
    const runId = (created.body as { run_id: string }).run_id;
    const url = `${base}/api/v1/runs/${runId}/stream`;
    const first = openSse(url);
    await waitFor('some output', () => first.events.filter((e) => e.event === 'log').length >= 2);
    first.close();
    const lastId = first.events.filter((e) => e.event === 'log').at(-1)!.id!;
    expect(lastId).toMatch(/^s=\d+;e=\d+$/);
    const second = openSse(url, { 'last-event-id': lastId });
    await second.ended;
    const status = second.events.at(-1)!;
    expect(status.event).toBe('status');
    expect(JSON.parse(status.data)).toMatchObject({
      run_id: runId,
      status: 'completed',
      exit_code: 0,
    });
    const text = (evs: SseEvent[], stream: string): string =>
      evs
        .filter((e) => e.event === 'log')
        .map((e) => JSON.parse(e.data) as { stream: string; text: string })
        .filter((d) => d.stream === stream)
        .map((d) => d.text)
        .join('');
    const runDir = join(t.ctx.root, 'p', 'logs', runId);
    const stdout = readFileSync(join(runDir, 'agent-stdout.txt'), 'utf8');
    const stderr = readFileSync(join(runDir, 'agent-stderr.txt'), 'utf8');
    expect(text(first.events, 'stdout') + text(second.events, 'stdout')).toBe(stdout);
    expect(text(first.events, 'stderr') + text(second.events, 'stderr')).toBe(stderr);
    expect(stdout.length).toBeGreaterThan(100);

    // The index told /api/v1/events about the run's life, with increasing sequence ids.
    await waitFor('run completed event', () =>
      events.events.some(
        (e) =>
          e.event === 'run' && (JSON.parse(e.data) as { status: string }).status === 'completed',
      ),
    );
    const runEvents = events.events
      .filter((e) => e.event === 'run')
      .map((e) => JSON.parse(e.data) as { run_id: string; status: string });
    expect(runEvents.filter((r) => r.run_id === runId).map((r) => r.status)).toContain('running');
    const seqs = events.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Resume from the hello id: everything since is replayed.
    const hello = events.events.find((e) => e.event === 'hello')!;
    const resumed = openSse(`${base}/api/v1/events`, { 'last-event-id': hello.id! });
    await waitFor(
      'replay',
      () =>
        resumed.events.filter((e) => e.event === 'run' || e.event === 'task').length >=
        seqs.length - 1,
    );
    const expected = seqs.filter((s) => s > Number(hello.id));
    const replayed = resumed.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    // Nothing missed, nothing twice (later live events may follow the replay).
    expect(replayed.slice(0, expected.length)).toEqual(expected);
    expect(new Set(replayed).size).toBe(replayed.length);
    events.close();
    resumed.close();
    await waitFor('loop ended', async () => {
      const task = await httpJson(`${base}/api/v1/projects/p/tasks/logs`);
      return (task.body as { status: string }).status === 'done';
    });
  });
});
