/**
 * One structured logger (pino): JSON lines on stderr, pretty when stderr is a terminal.
 * Level from CONDUCTOR_LOG_LEVEL (debug|info|warn|error; default info). stdout stays
 * free for command output. Child loggers bind task_id/run_id/agent/request_id.
 */
import { createRequire } from 'node:module';
import type * as PinoModule from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';
import type * as PinoPrettyModule from 'pino-pretty';

export type Logger = PinoLogger;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  const raw = (env.CONDUCTOR_LOG_LEVEL ?? '').trim().toLowerCase();
  if (raw === 'warning') return 'warn';
  return (LEVELS.has(raw) ? raw : 'info') as LevelWithSilent;
}

/** Field names whose values must never reach a log line. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'api_key',
  '*.api_key',
  'apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

let root: Logger | undefined;

export interface LoggerOptions {
  level?: LevelWithSilent;
  pretty?: boolean;
  /** Where lines go (default stderr, fd 2). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // Loaded lazily so CLI commands that never log do not pay pino's start-up.
  const require = createRequire(import.meta.url);
  const pino = require('pino') as typeof PinoModule;
  const level = options.level ?? logLevelFromEnv();
  const base = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  const pretty =
    options.pretty ??
    (process.stderr.isTTY === true && process.env.CONDUCTOR_LOG_FORMAT !== 'json');
  if (pretty && options.destination === undefined) {
    const { PinoPretty } = require('pino-pretty') as typeof PinoPrettyModule;
    return pino.pino(base, PinoPretty({ destination: 2, colorize: true, sync: true }));
  }
  return pino.pino(base, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

/** The process-wide logger. */
export function log(): Logger {
  root ??= createLogger();
  return root;
}

export function setLogger(logger: Logger): void {
  root = logger;
}
