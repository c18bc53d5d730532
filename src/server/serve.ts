/**
 * `conductor serve`: resolve options (flags > env > config > defaults), refuse unsafe
 * binds, build the index, reconcile the root, listen, and shut down gracefully.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ResolvedConfig } from '../core/config.js';
import { ConfigError, fsError } from '../core/errors.js';
import { resolveRoot } from '../core/layout.js';
import { log } from '../core/log.js';
import { packageRoot } from '../core/self.js';
import { isTerminalStatus } from '../core/run-info.js';
import { stopRun } from '../runner/job.js';
import { buildApp } from './app.js';
import { createContext, type ServerContext } from './context.js';
import { adoptions, reconcileRoot } from './reconcile.js';
import { ownedLoops } from './task-service.js';

export interface ServeFlags {
  host?: string | undefined;
  port?: number | undefined;
  root?: string | undefined;
  config?: string | undefined;
  apiKey?: string | undefined;
  insecure?: boolean | undefined;
  disableTaskStart?: boolean | undefined;
  stopRunsOnExit?: boolean | undefined;
  heartbeatMs?: number | undefined;
  webDir?: string | undefined;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  ctx: ServerContext;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '[::1]';
}

function envPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(
      'BAD_PORT',
      `invalid CONDUCTOR_PORT ${JSON.stringify(value)}: expected 0-65535`,
    );
  }
  return Number(value);
}

export async function startServer(
  flags: ServeFlags,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  const config: ResolvedConfig = loadConfig({
    configPath: flags.config ?? (env.CONDUCTOR_CONFIG || undefined),
    env,
  });
  const host = flags.host ?? (env.CONDUCTOR_HOST || undefined) ?? config.api.host;
  const port = flags.port ?? envPort(env.CONDUCTOR_PORT) ?? config.api.port;
  const root = resolveRoot({ flag: flags.root, env, configRunsDir: config.storage.runsDir });
  const apiKey = flags.apiKey ?? (env.CONDUCTOR_API_KEY || undefined);
  const extraApiKeys = apiKey !== undefined ? [{ user: 'default', key: apiKey }] : [];
  if (
    !isLoopbackHost(host) &&
    config.api.apiKeys.length === 0 &&
    extraApiKeys.length === 0 &&
    flags.insecure !== true
  ) {
    throw new ConfigError(
      'INSECURE_BIND',
      `refusing to listen on ${host} without an API key: set CONDUCTOR_API_KEY or --api-key (or pass --insecure)`,
    );
  }
  try {
    mkdirSync(root, { recursive: true });
  } catch (error) {
    throw fsError('create', root, error);
  }
  for (const warning of config.warnings) log().warn({ config: config.path }, warning);
  const ctx = createContext({
    root,
    config,
    version,
    extraApiKeys,
    disableTaskStart: flags.disableTaskStart === true,
    webDir: flags.webDir ?? join(packageRoot(), 'web', 'dist'),
    ...(flags.heartbeatMs !== undefined ? { heartbeatMs: flags.heartbeatMs } : {}),
  });
  ctx.index.start();
  reconcileRoot(ctx);
  const app = await buildApp(ctx);
  const address = await app.listen({ host, port });
  const url = address.replace('[::1]', 'localhost');
  ctx.options.publicUrl = url;
  ctx.logger.info({ url, root, version }, 'listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ctx.sse.closeAll();
      ctx.busFanout.closeAll();
      await app.close();
      if (flags.stopRunsOnExit === true) await stopAll(ctx);
      ctx.index.close();
    })();
    return closing;
  };
  return { url, app, ctx, close };
}

/** `--stop-runs-on-exit`: stop our loops and every run still going on this root. */
async function stopAll(ctx: ServerContext): Promise<void> {
  for (const loop of ownedLoops.values()) loop.controller.abort();
  for (const adopted of adoptions.values()) adopted.controller.abort();
  const running = [...ctx.index.runs.values()].filter((r) => !isTerminalStatus(r.info.status));
  await Promise.all(
    running.map((run) =>
      stopRun(run.runDir, { graceMs: ctx.config.defaults.stopGraceMs }).catch((error: unknown) => {
        ctx.logger.warn({ err: error, run_id: run.info.run_id }, 'stop on exit failed');
      }),
    ),
  );
  await Promise.allSettled([...ownedLoops.values()].map((l) => l.done));
}
