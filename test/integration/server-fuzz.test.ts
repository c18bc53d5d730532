/**
 * Fuzzing ids, file names, query strings and bodies: hundreds of random and malicious
 * inputs (encoded traversal, absolute paths, NUL, huge and odd values). The server must
 * never answer 500, never return a file from outside the root, and never write outside it.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupAll, fixtureRoot, makeApp, type TestApp } from './server-harness.js';

const RUN = '20261126-1457310000-2028-1';
const TASK = 'task-20260101-000000-fixture';
const SECRET = 'canary-secret-outside-the-root';

const NASTY = [
  '..',
  '../..',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fcanary',
  '..%2fcanary%2fsecret.txt',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2fetc%2fpasswd',
  '%2F',
  '..%5c..%5ccanary',
  'a%00b',
  '%00',
  '.hidden',
  '.',
  'demo%2f..%2f..%2fcanary',
  'x'.repeat(2000),
  '%E2%80%AE',
  '%F0%9F%92%A5',
  '%ff%fe',
  '%',
  '%zz',
  '$(id)',
  '%60id%60',
  "'%3B--",
  'run-info.yaml',
  'DONE',
  'TASK.md',
  '~',
  '%20',
  'CON',
  RUN,
  TASK,
  'demo',
];

const TEMPLATES: ((x: string) => { method: 'GET' | 'POST' | 'DELETE'; url: string })[] = [
  (x) => ({ method: 'GET', url: `/api/v1/runs/${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/runs/${x}/info` }),
  (x) => ({ method: 'GET', url: `/api/v1/runs/${RUN}/files/${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/runs/${RUN}/files/stdout?tail=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/runs/${RUN}/files/stdout?offset=${x}&limit=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/runs?project_id=${x}&status=${x}&limit=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/projects/${x}/tasks?q=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/projects/demo/tasks/${x}` }),
  (x) => ({ method: 'GET', url: `/api/projects/${x}` }),
  (x) => ({ method: 'GET', url: `/api/projects/${x}/stats` }),
  (x) => ({ method: 'GET', url: `/api/projects/demo/tasks/${TASK}/file?name=${x}` }),
  (x) => ({ method: 'GET', url: `/api/projects/demo/tasks/${TASK}/runs/${x}/file?name=output.md` }),
  (x) => ({ method: 'GET', url: `/api/projects/demo/tasks/${TASK}/runs/${RUN}/file?name=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/messages?project_id=${x}&task_id=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/messages?project_id=demo&since=${x}` }),
  (x) => ({ method: 'GET', url: `/api/v1/tasks?project_id=${x}` }),
  (x) => ({ method: 'DELETE', url: `/api/v1/projects/${x}/tasks/${x}` }),
  (x) => ({ method: 'POST', url: `/api/v1/runs/${x}/stop` }),
  (x) => ({ method: 'POST', url: `/api/v1/projects/${x}/tasks/${x}/stop` }),
  (x) => ({ method: 'GET', url: `/${x}` }),
];

/** Deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * 9);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() > 0.5;
    case 2:
      return Math.floor(rand() * 1e9) * (rand() > 0.5 ? -1 : 1);
    case 3:
      return NASTY[Math.floor(rand() * NASTY.length)]!.replace(/%2f/gi, '/').replace(/%00/g, '\0');
    case 4:
      return String.fromCharCode(
        ...Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 0xffff)),
      );
    case 5:
      return depth > 2
        ? []
        : Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    case 6:
      return depth > 2
        ? {}
        : { project_id: randomValue(rand, depth + 1), x: randomValue(rand, depth + 1) };
    case 7:
      return '/etc/passwd';
    default:
      return 'demo';
  }
}

const BODY_KEYS = [
  'project_id',
  'task_id',
  'agent',
  'prompt',
  'prompt_file',
  'cwd',
  'depends_on',
  'timeout',
  'max_restarts',
  'body',
  'type',
  'run_id',
  'parents',
  'links',
  'meta',
];

describe('fuzzing ids, paths and bodies', () => {
  let t: TestApp;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = fixtureRoot();
    outside = join(dirname(root), 'canary');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    t = await makeApp(root, { disableTaskStart: true });
  });
  afterAll(async () => {
    await t.close();
    cleanupAll();
  });

  const check = (status: number, body: string, what: string): void => {
    expect(status, what).toBeLessThan(500);
    expect(body, what).not.toContain(SECRET);
    expect(body, what).not.toMatch(/root:x?:0:0/);
  };

  it('malicious path segments and queries on every route family', async () => {
    let count = 0;
    for (const template of TEMPLATES) {
      for (const value of NASTY) {
        const { method, url } = template(value);
        const res = await t.app.inject({ method, url });
        check(res.statusCode, res.body, `${method} ${url.slice(0, 120)}`);
        count++;
      }
    }
    expect(count).toBeGreaterThan(500);
  });

  it('random JSON bodies for task creation and bus posts', async () => {
    const rand = prng(42);
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = {};
      for (const key of BODY_KEYS) if (rand() < 0.4) body[key] = randomValue(rand);
      if (rand() < 0.5) body.project_id = 'demo';
      const url = rand() < 0.5 ? '/api/v1/tasks' : '/api/v1/messages';
      const payload = rand() < 0.1 ? JSON.stringify(randomValue(rand)) : JSON.stringify(body);
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      check(res.statusCode, res.body, `POST ${url} ${payload.slice(0, 200)}`);
    }
  });

  it('nothing was written outside the root, and no traversal created folders inside it', () => {
    expect(readdirSync(dirname(root)).sort()).toEqual(['canary', 'root']);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    for (const name of readdirSync(root)) {
      expect(name.startsWith('.') && name !== '.conductor', name).toBe(false);
      expect(name).not.toContain('..');
    }
  });
});
