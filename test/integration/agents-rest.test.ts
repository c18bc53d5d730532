/**
 * `run-agent __rest-agent` as a real process against the fake REST server on 127.0.0.1:
 * streaming, output.md + Sources, usage side file, retries with Retry-After, timeouts,
 * and exit codes 0/1/2/3, with the key never leaking into argv, stdout, stderr or files.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBackend } from '../../src/runner/agents/index.js';
import type { AgentConfig } from '../../src/runner/agents/types.js';
import { selfCommand } from '../../src/core/self.js';
import {
  RUN_AGENT_FROM_SOURCE,
  runProcess,
  type ProcessResult,
} from '../fixtures/agents/process-helper.js';
import {
  FAKE_ANSWER,
  startFakeRestServer,
  type FakeRestServer,
} from '../helpers/fake-rest-server.js';

const KEY = 'sk-test-SECRET-9f8e7d6c5b4a';
let runDir: string;
let server: FakeRestServer;

beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'agents-rest-'));
});

afterEach(async () => {
  await server?.close();
  rmSync(runDir, { recursive: true, force: true });
});

interface RestRun extends ProcessResult {
  argv: string[];
  output?: string;
  usage?: Record<string, unknown>;
  ms: number;
}

async function restAgent(
  type: 'perplexity' | 'xai',
  prompt: string,
  flags: string[] = [],
  env: NodeJS.ProcessEnv = { [type === 'xai' ? 'XAI_API_KEY' : 'PERPLEXITY_API_KEY']: KEY },
): Promise<RestRun> {
  const argv = [
    ...RUN_AGENT_FROM_SOURCE,
    '__rest-agent',
    '--type',
    type,
    '--run-dir',
    runDir,
    '--base-url',
    type === 'xai' ? `${server.url}/v1` : server.url,
    '--retry-base-ms',
    '50',
    ...flags,
  ];
  const started = Date.now();
  const r = await runProcess(argv, { stdinText: prompt, env: { PATH: process.env.PATH, ...env } });
  const read = (name: string) => {
    try {
      return readFileSync(join(runDir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const usage = read('agent-usage.json');
  return {
    ...r,
    argv,
    output: read('output.md'),
    usage: usage === undefined ? undefined : JSON.parse(usage),
    ms: Date.now() - started,
  };
}

function expectNoKeyLeak(r: RestRun): void {
  expect(r.argv.join(' ')).not.toContain(KEY);
  expect(r.stdout).not.toContain(KEY);
  expect(r.stderr).not.toContain(KEY);
  for (const name of readdirSync(runDir))
    expect(readFileSync(join(runDir, name), 'utf8')).not.toContain(KEY);
}

function expectOneErrorLine(r: RestRun, pattern: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^Error: /);
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('REST agent: success paths', () => {
  it('perplexity: streams the answer, writes output.md with deduplicated Sources and usage', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('perplexity', 'What is the capital of France?');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${FAKE_ANSWER}\n`);
    expect(r.output).toBe(
      `${FAKE_ANSWER}\n\n## Sources\n\n1. [Source A](https://example.org/a)\n2. https://example.org/b\n3. [Source C](https://example.org/c)\n`,
    );
    expect(r.usage).toMatchObject({
      type: 'perplexity',
      model: 'sonar-pro',
      input_tokens: 9,
      output_tokens: 8,
    });
    const [req] = server.requests;
    expect(req?.path).toBe('/chat/completions');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.headers.accept).toBe('text/event-stream');
    expect(req?.body).toMatchObject({
      model: 'sonar-pro',
      stream: true,
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    expectNoKeyLeak(r);
    const summary = getBackend('perplexity').summarize({
      stdout: r.stdout,
      stderr: r.stderr,
      runDir,
    });
    expect(summary).toMatchObject({
      finalText: FAKE_ANSWER,
      model: 'sonar-pro',
      usage: { input_tokens: 9, output_tokens: 8 },
    });
  });

  it('xai: asks for usage, skips reasoning_content, records cached tokens and the model flag', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'Capital?', ['--model', 'grok-4-fast']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${FAKE_ANSWER}\n`);
    expect(r.output).toBe(`${FAKE_ANSWER}\n`);
    expect(r.usage).toMatchObject({
      type: 'xai',
      model: 'grok-4-fast',
      input_tokens: 12,
      output_tokens: 7,
      cached_input_tokens: 4,
    });
    expect(server.requests[0]?.path).toBe('/v1/chat/completions');
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    expectNoKeyLeak(r);
  });

  it('slow drip: text reaches stdout while the stream is still open', async () => {
    server = await startFakeRestServer();
    const chunksAt: number[] = [];
    const argv = [
      ...RUN_AGENT_FROM_SOURCE,
      '__rest-agent',
      '--type',
      'xai',
      '--run-dir',
      runDir,
      '--base-url',
      server.url,
    ];
    const r = await runProcess(argv, {
      stdinText: 'FAKE_REST=slow',
      env: { PATH: process.env.PATH, XAI_API_KEY: KEY },
      onStdout: () => chunksAt.push(Date.now()),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Paris is the capital [1].\n');
    expect(chunksAt.length).toBeGreaterThanOrEqual(3);
    expect(chunksAt.at(-1)! - chunksAt[0]!).toBeGreaterThanOrEqual(500);
  });

  it('accepts a non-SSE chat.completion body', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('perplexity', 'FAKE_REST=single');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${FAKE_ANSWER}\n`);
    expect(r.usage).toMatchObject({ input_tokens: 9, output_tokens: 8 });
  });

  it('a launch built by the xai backend runs as-is (env key, argv flags)', async () => {
    server = await startFakeRestServer();
    const agent: AgentConfig = {
      name: 'grok',
      type: 'xai',
      token: KEY,
      baseUrl: server.url,
      timeoutMs: 20_000,
      maxRetries: 0,
      retryBaseDelayMs: 0,
      env: {},
    };
    const launch = getBackend('xai').buildLaunch({
      agent,
      runDir,
      promptPath: join(runDir, 'prompt.md'),
      cwd: runDir,
      baseEnv: { PATH: process.env.PATH },
    });
    // Swap our bundled launcher for the source entry point; the rest of argv is the backend's.
    const argv = [...RUN_AGENT_FROM_SOURCE, ...launch.argv.slice(selfCommand('run-agent').length)];
    const r = await runProcess(argv, { stdinText: 'hello', env: launch.env });
    expect(r.code).toBe(0);
    expect(argv.join(' ')).not.toContain(KEY);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('REST agent: retries', () => {
  it('429 honours Retry-After (seconds) and then succeeds', async () => {
    server = await startFakeRestServer({ retryAfter: '1' });
    const r = await restAgent('xai', 'FAKE_REST=429:1');
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(r.stderr).toMatch(/HTTP 429.*retry 1\/5 in 1\.0 s/);
    expect(r.stdout).toBe(`${FAKE_ANSWER}\n`);
  });

  it('retry-after-ms wins over Retry-After; two 429s then success', async () => {
    server = await startFakeRestServer({ retryAfter: '30', retryAfterMs: 100 });
    const r = await restAgent('perplexity', 'FAKE_REST=429:2');
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(3);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('500 then success, and a dropped connection then success', async () => {
    server = await startFakeRestServer();
    expect((await restAgent('xai', 'FAKE_REST=500:1')).code).toBe(0);
    expect(server.requests).toHaveLength(2);
    const dropped = await restAgent('xai', 'FAKE_REST=drop:1');
    expect(dropped.code).toBe(0);
    expect(dropped.stderr).toMatch(/network error/);
    expect(server.requests).toHaveLength(4);
  });

  it('429 until retries run out: exit 1 with one error line', async () => {
    server = await startFakeRestServer({ retryAfterMs: 20 });
    const r = await restAgent('xai', 'FAKE_REST=429:99', ['--max-retries', '2']);
    expect(r.code).toBe(1);
    expect(server.requests).toHaveLength(3);
    expectOneErrorLine(r, /^Error: xai: HTTP 429: rate limited$/);
    expect(r.usage).toMatchObject({ error: 'xai: HTTP 429: rate limited' });
    const summary = getBackend('xai').summarize({ stdout: r.stdout, stderr: r.stderr, runDir });
    expect(summary).toMatchObject({ failed: true });
    expect(getBackend('xai').explainFailure?.(1, r.stderr, summary)).toBe(
      'xai: HTTP 429: rate limited',
    );
  });
});

describe('REST agent: failures and exit codes', () => {
  it('401 JSON error: exit 3, key redacted from the echoed message', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('perplexity', 'FAKE_REST=auth');
    expect(r.code).toBe(3);
    expectOneErrorLine(
      r,
      /perplexity: API key rejected \(HTTP 401: Invalid API key \*\*\*\); check PERPLEXITY_API_KEY/,
    );
    expect(server.requests).toHaveLength(1);
    expectNoKeyLeak(r);
  });

  it("xai's string error body: exit 3 without the key", async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'FAKE_REST=xai-auth');
    expect(r.code).toBe(3);
    expectOneErrorLine(r, /Incorrect API key provided: \*\*\*/);
    expectNoKeyLeak(r);
  });

  it('400 bad model is permanent: exit 2, no retry', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'FAKE_REST=bad-model', ['--model', 'grok-x']);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(1);
    expectOneErrorLine(r, /^Error: xai: HTTP 400: The model grok-x does not exist$/);
  });

  it('connection reset mid-stream: exit 1, partial text kept, not retried', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('perplexity', 'FAKE_REST=reset');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Paris is');
    expect(server.requests).toHaveLength(1);
    expectOneErrorLine(r, /^Error: perplexity: network error: /);
  });

  it('a server that never answers hits the connect timeout, retries, then exits 1', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'FAKE_REST=hang', [
      '--connect-timeout-ms',
      '300',
      '--max-retries',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(server.requests).toHaveLength(2);
    expectOneErrorLine(r, /^Error: xai: no response within 300 ms$/);
  });

  it('the total deadline stops a slow stream', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'FAKE_REST=slow', ['--timeout-ms', '500']);
    expect(r.code).toBe(1);
    expectOneErrorLine(r, /total timeout/);
  });

  it('no key at all: exit 3 before any request', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('xai', 'hi', [], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("Error: xai: no API key (set XAI_API_KEY or the agent's token)\n");
    expect(server.requests).toHaveLength(0);
    expect(r.usage).toMatchObject({
      type: 'xai',
      error: "xai: no API key (set XAI_API_KEY or the agent's token)",
    });
  });

  it('an empty prompt is permanent: exit 2', async () => {
    server = await startFakeRestServer();
    const r = await restAgent('perplexity', '  \n');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('Error: perplexity: empty prompt on stdin\n');
    expect(server.requests).toHaveLength(0);
  });
});
