/**
 * A real `bin/conductor serve` for end-to-end tests: a free port on 127.0.0.1, a fresh root,
 * the fake agent CLIs first on PATH, and a wait for `/api/v1/health` with a deadline.
 * Also `runConductor`, which runs the real `bin/conductor` client against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  FAKE_AGENTS_DIR,
  REPO_ROOT,
  runProcess,
  type ProcessResult,
} from '../fixtures/agents/process-helper.js';

export const CONDUCTOR_BIN = join(REPO_ROOT, 'bin', 'conductor');
export const BIN_DIR = join(REPO_ROOT, 'bin');

/** PATH with the fake agent CLIs first, then our bin/ (conductor, run-agent, messagebus-tool). */
export function e2ePath(): string {
  return `${FAKE_AGENTS_DIR}:${BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

/** An environment without a developer's CONDUCTOR_* settings leaking in. */
export function e2eEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CONDUCTOR_') && !key.startsWith('JRUN_')) env[key] = value;
  }
  return { ...env, PATH: e2ePath(), CONDUCTOR_LOG_LEVEL: 'warn', ...extra };
}

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface StartServerOptions {
  root: string;
  /** Working directory of the server (default: the root's parent is not assumed; REPO_ROOT). */
  cwd?: string;
  /** Path of a config.yaml passed with --config. */
  config?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  startTimeoutMs?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  root: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (logs), for failure messages. */
  logs(): string;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  const args = ['serve', '--port', String(port), '--root', options.root, ...(options.args ?? [])];
  if (options.config !== undefined) args.push('--config', options.config);
  const child = spawn(process.execPath, [CONDUCTOR_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? e2eEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    port,
    root: options.root,
    child,
    logs: () => output,
    isRunning: () => !exited,
    stop: async (graceMs = 10_000) => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) {
      throw new Error(`conductor serve exited during start-up (exit ${child.exitCode}): ${output}`);
    }
    if (await isHealthy(url)) return server;
    if (Date.now() > deadline) {
      await server.stop(1000);
      throw new Error(
        `conductor serve did not answer /api/v1/health within the deadline: ${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Run the real `bin/conductor` with `args`; never throws on a non-zero exit. */
export function runConductor(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; stdinText?: string } = {},
): Promise<ProcessResult> {
  return runProcess([process.execPath, CONDUCTOR_BIN, ...args], {
    env: options.env ?? e2eEnv(),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.stdinText !== undefined ? { stdinText: options.stdinText } : {}),
  });
}

/** Poll an async condition until it holds or the deadline passes. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
