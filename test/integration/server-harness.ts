/**
 * Helpers for the server tests: fresh roots (optionally a copy of the reference fixture
 * root), an in-process app for inject() contract tests, the real `conductor serve` binary
 * for process tests, a minimal SSE client and condition polling with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/server/app.js';
import { createContext, type ServerContext, type ServerOptions } from '../../src/server/context.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURE_ROOT = join(REPO, 'test/fixtures/reference/root');
export const FIXTURE_API = join(REPO, 'test/fixtures/reference/api');
export const FAKE_AGENTS = join(REPO, 'test/fixtures/agents');

const cleanups: (() => void)[] = [];

export function freshDir(prefix = 'conductor-server-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A root holding a copy of the reference fixture tree (project `demo`). */
export function fixtureRoot(): string {
  const root = join(freshDir(), 'root');
  cpSync(FIXTURE_ROOT, root, { recursive: true });
  return root;
}

export function cleanupAll(): void {
  for (const fn of cleanups.splice(0)) fn();
}

export function baseConfig(patch: (c: ResolvedConfig) => void = () => {}): ResolvedConfig {
  const config = loadConfig({ cwd: freshDir('conductor-cfg-'), env: {} });
  patch(config);
  return config;
}

export interface TestApp {
  app: FastifyInstance;
  ctx: ServerContext;
  close(): Promise<void>;
}

export async function makeApp(
  root: string,
  options: Partial<ServerOptions> & { configure?: (c: ResolvedConfig) => void } = {},
): Promise<TestApp> {
  const { configure, ...rest } = options;
  const ctx = createContext({
    root,
    config: baseConfig(configure),
    version: '0.1.0-test',
    webDir: join(freshDir(), 'no-ui'),
    ...rest,
  });
  ctx.index.start();
  const app = await buildApp(ctx);
  await app.ready();
  return {
    app,
    ctx,
    close: async () => {
      ctx.sse.closeAll();
      await app.close();
      ctx.index.close();
    },
  };
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The test process environment without CONDUCTOR_ and JRUN_ settings leaking in. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CONDUCTOR_') && !key.startsWith('JRUN_')) env[key] = value;
  }
  return env;
}

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `bin/conductor serve --port 0 ...` and wait for its `listening on` line. */
export async function startServerProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const proc = spawn(
    process.execPath,
    [join(REPO, 'bin/conductor'), 'serve', '--port', '0', ...args],
    {
      env: { ...cleanEnv(), CONDUCTOR_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const url = await Promise.race([
    waitFor('server to listen', () => /listening on (\S+)/.exec(out)?.[1], 20_000),
    exited.then((code) => {
      throw new Error(`server exited ${code}: ${err}`);
    }),
  ]);
  return {
    url,
    proc,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseClient {
  events: SseEvent[];
  response: Promise<IncomingMessage>;
  ended: Promise<void>;
  close(): void;
}

/** Open an event stream and collect its frames. */
export function openSse(url: string, headers: Record<string, string> = {}): SseClient {
  const events: SseEvent[] = [];
  let resolveResponse!: (r: IncomingMessage) => void;
  let rejectResponse!: (e: Error) => void;
  const response = new Promise<IncomingMessage>((res, rej) => {
    resolveResponse = res;
    rejectResponse = rej;
  });
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    resolveResponse(res);
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = { event: 'message', data: '' };
        for (const line of frame.split('\n')) {
          const colon = line.indexOf(': ');
          const key = colon >= 0 ? line.slice(0, colon) : line;
          const value = colon >= 0 ? line.slice(colon + 2) : '';
          if (key === 'id') event.id = value;
          else if (key === 'event') event.event = value;
          else if (key === 'data') event.data += value;
        }
        events.push(event);
      }
    });
    res.on('end', resolveEnded);
    res.on('close', resolveEnded);
  });
  req.on('error', (e) => {
    rejectResponse(e);
    resolveEnded();
  });
  req.end();
  return { events, response, ended, close: () => req.destroy() };
}

export async function httpJson(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}
