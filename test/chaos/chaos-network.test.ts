/**
 * Chaos: a flaky network for REST agents, end to end through `run-agent job` and the fake
 * OpenAI-style server: 5xx, dropped connections and 429s are retried with backoff until the
 * run completes; a slow answer is waited for; a hung endpoint is cut off by the run timeout.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/core/run-info.js';
import { BIN_DIR, e2eEnv } from '../helpers/server-process.js';
import { startFakeRestServer, type FakeRestServer } from '../helpers/fake-rest-server.js';
import { runProcess } from '../fixtures/agents/process-helper.js';

let dir: string;
let fake: FakeRestServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaos-net-'));
  fake = await startFakeRestServer({ retryAfterMs: 100 });
  writeFileSync(
    join(dir, 'config.yaml'),
    `agents:\n  pplx:\n    type: perplexity\n    base_url: ${fake.url}\n    token: test-key\n    retry_delay: 0.1s\n    max_retries: 3\n`,
  );
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function job(taskId: string, prompt: string, timeout: string) {
  const started = Date.now();
  const result = await runProcess(
    [
      process.execPath,
      join(BIN_DIR, 'run-agent'),
      'job',
      '--config',
      join(dir, 'config.yaml'),
      '--root',
      join(dir, 'root'),
      '--project',
      'net',
      '--task',
      taskId,
      '--agent',
      'pplx',
      '--timeout',
      timeout,
      '--prompt',
      prompt,
    ],
    { env: e2eEnv(), timeoutMs: 60_000 },
  );
  const taskDir = join(dir, 'root', 'net', taskId);
  const runId = readdirSync(taskDir).find((name) => /^\d{8}-/.test(name))!;
  return {
    ...result,
    ms: Date.now() - started,
    info: readRunInfo(join(taskDir, runId)),
    runDir: join(taskDir, runId),
  };
}

describe('chaos: network failures for REST agents', () => {
  it('retries 5xx, dropped connections and 429 with backoff until the run completes', async () => {
    for (const [taskId, mode, requests] of [
      ['five-hundreds', '500:2', 3],
      ['dropped', 'drop:2', 3],
      ['rate-limited', '429:2', 3],
    ] as const) {
      const before = fake.requests.length;
      const r = await job(taskId, `answer FAKE_REST=${mode}`, '60s');
      expect(r.code, `${mode}: ${r.stderr}`).toBe(0);
      expect(r.info.status).toBe('completed');
      expect(fake.requests.length - before).toBe(requests);
      expect(readFileSync(join(r.runDir, 'output.md'), 'utf8')).toContain('Paris');
    }
  });

  it('waits for a slow answer and cuts off a hung endpoint at the timeout', async () => {
    const slow = await job('slow', 'answer FAKE_REST=slow', '30s');
    expect(slow.code).toBe(0);
    expect(slow.info.status).toBe('completed');

    const hung = await job('hung', 'answer FAKE_REST=hang', '2s');
    expect(hung.code).toBe(1);
    expect(hung.info.status).toBe('timeout');
    expect(hung.ms).toBeLessThan(20_000);
  });
});
