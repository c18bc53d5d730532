/**
 * The seed's "Load Test": 50 concurrent `conductor task create ... &` against one real
 * server, then every task must complete successfully (error rate 0). Prints the average
 * completion time and the wall time.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunPage, TaskPage } from '../../src/client/api-types.js';
import {
  e2eEnv,
  isHealthy,
  startServer,
  waitUntil,
  type ServerProcess,
} from '../helpers/server-process.js';

const TASKS = 50;

/** The seed's loop, verbatim. */
const LOAD_SCRIPT = `
for i in {1..50}; do
    conductor task create \\
        --project-id load-test \\
        --task-id task-$i \\
        --agent codex \\
        --prompt-file test-prompt.md &
done

wait
`;

let dir: string;
let server: ServerProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-load-'));
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function bash(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('seed: Load Test', () => {
  it('creates 50 tasks concurrently and all of them complete successfully', async () => {
    // Default config: per-user limits apply to API-key users only, so this local server
    // (no keys) takes all 50 at once, as the seed's load test expects.
    writeFileSync(
      join(dir, 'test-prompt.md'),
      '# Load test\n\nDo a small task and report success.\n',
    );
    mkdirSync(join(dir, 'runs'));
    server = await startServer({
      root: join(dir, 'runs'),
      cwd: dir,
      env: e2eEnv({ HOME: dir }),
    });
    const started = Date.now();
    const created = await bash(LOAD_SCRIPT, e2eEnv({ CONDUCTOR_URL: server.url, HOME: dir }));
    const createdMs = Date.now() - started;
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const ids = created.stdout.trim().split('\n').sort();
    const expected = Array.from({ length: TASKS }, (_, i) => `task-${i + 1}`).sort();
    expect(ids).toEqual(expected);

    const url = `${server.url}/api/v1/projects/load-test/tasks?limit=100`;
    const page = await waitUntil(
      async () => {
        const p = await getJson<TaskPage>(url);
        const finished = p.tasks.filter(
          (t) => t.status === 'done' || t.status === 'failed' || t.status === 'stopped',
        );
        return finished.length === TASKS ? p : undefined;
      },
      150_000,
      'all 50 load-test tasks to finish',
    );
    const wallMs = Date.now() - started;
    const failed = page.tasks.filter((t) => t.status !== 'done');
    expect(failed.map((t) => `${t.task_id}:${t.status}`)).toEqual([]);

    const runs = await getJson<RunPage>(`${server.url}/api/v1/runs?project_id=load-test&limit=200`);
    const completed = runs.runs.filter((r) => r.status === 'completed');
    expect(completed.length).toBeGreaterThanOrEqual(TASKS);
    // Completion time of a task: from the moment the 50 creations were launched to the end of
    // its last run (the server's created_at is the first run's start, which hides queueing).
    const completion = page.tasks.map((t) => {
      const ends = runs.runs
        .filter((r) => r.task_id === t.task_id && r.end_time !== undefined)
        .map((r) => Date.parse(r.end_time ?? ''));
      return Math.max(...ends) - started;
    });
    const avgMs = completion.reduce((a, b) => a + b, 0) / completion.length;
    const avgRunMs = completed.reduce((a, r) => a + (r.duration_ms ?? 0), 0) / completed.length;
    console.log(
      `load test: ${TASKS} tasks, error rate 0, creates took ${createdMs} ms, all done after ${wallMs} ms, ` +
        `average completion ${Math.round(avgMs)} ms after launch, average run ${Math.round(avgRunMs)} ms, ` +
        `load average ${loadavg()[0]?.toFixed(1)}`,
    );
    expect(Number.isFinite(avgMs)).toBe(true);
    expect(await isHealthy(server.url)).toBe(true);
  }, 240_000);
});
