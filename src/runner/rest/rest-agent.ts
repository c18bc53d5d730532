/**
 * The `run-agent __rest-agent` process body: prompt in, streamed answer out, output.md and
 * agent-usage.json in the run folder. Retries 429/5xx/network failures (Retry-After first,
 * else exponential backoff with jitter) while nothing has been streamed and time is left.
 * Failures throw our typed errors so the exit code says what happened: 1 retriable,
 * 2 permanent (bad request/model), 3 missing or rejected key. The key never appears in a
 * message: anything echoed by the server is redacted.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConfigError,
  PermanentError,
  RetriableError,
  isConductorError,
  type ConductorError,
} from '../../core/errors.js';
import { writeFileAtomicSync } from '../../core/fs-atomic.js';
import { ChatHttpError, ChatStreamError, streamChat, type ChatResult } from './chat-stream.js';
import { renderRestOutput } from './output.js';
import { backoffMs } from './retry.js';
import { resolveRestSettings, type RestSettings } from './settings.js';

export const AGENT_USAGE_FILE = 'agent-usage.json';

export interface RestAgentOptions {
  type: string;
  runDir?: string;
  model?: string;
  baseUrl?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryCapMs: number;
}

export const REST_DEFAULTS = {
  timeoutMs: 120_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxRetries: 5,
  retryBaseMs: 1_000,
  retryCapMs: 32_000,
} as const;

export interface RestAgentIo {
  prompt: string;
  env: NodeJS.ProcessEnv;
  writeOut: (text: string) => void;
  /** Progress notes (retries) for the run's stderr file. */
  writeErr: (text: string) => void;
}

/** Side file read back by the backend's summarize(). */
export interface RestUsageFile {
  type: string;
  model?: string;
  input_tokens?: number;
  output_tokens?: number;
  cached_input_tokens?: number;
  finish_reason?: string;
  error?: string;
}

export async function runRestAgent(options: RestAgentOptions, io: RestAgentIo): Promise<void> {
  const runDir = options.runDir ?? io.env.JRUN_RUN_FOLDER;
  let settings: RestSettings | undefined;
  try {
    settings = resolveRestSettings(options.type, options, io.env);
    const prompt = io.prompt.trim();
    if (prompt === '') {
      throw new PermanentError('EMPTY_PROMPT', `${settings.type}: empty prompt on stdin`);
    }
    const result = await requestWithRetries(settings, prompt, options, io);
    if (!result.text.endsWith('\n')) io.writeOut('\n');
    if (runDir !== undefined) {
      writeFileAtomicSync(join(runDir, 'output.md'), renderRestOutput(result));
      writeUsage(runDir, usageOf(settings, result));
    }
  } catch (error) {
    const failure = toConductorError(settings, error);
    // Leave the reason for summarize() too, so error_summary names it (not only stderr).
    if (runDir !== undefined) {
      writeUsage(runDir, { type: options.type, model: settings?.model, error: failure.message });
    }
    throw failure;
  }
}

async function requestWithRetries(
  settings: RestSettings,
  prompt: string,
  options: RestAgentOptions,
  io: RestAgentIo,
): Promise<ChatResult> {
  const deadlineMs = Date.now() + options.timeoutMs;
  const body: Record<string, unknown> = {
    model: settings.model,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  };
  if (settings.type === 'xai') body.stream_options = { include_usage: true };
  for (let retry = 0; ; retry++) {
    try {
      return await streamChat({
        url: settings.url,
        key: settings.key,
        body,
        connectTimeoutMs: options.connectTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        deadlineMs,
        onText: io.writeOut,
      });
    } catch (error) {
      const delay = retryDelay(error, retry, options);
      const left = deadlineMs - Date.now();
      if (delay === undefined || retry >= options.maxRetries || delay >= left) throw error;
      const reason = redact(error instanceof Error ? error.message : String(error), settings.key);
      io.writeErr(
        `${settings.type}: ${reason}; retry ${retry + 1}/${options.maxRetries} in ${(delay / 1000).toFixed(1)} s\n`,
      );
      await sleep(delay);
    }
  }
}

/** Delay before the next try, or undefined when this failure must not be retried. */
function retryDelay(error: unknown, retry: number, options: RestAgentOptions): number | undefined {
  const backoff = backoffMs(retry, options.retryBaseMs, options.retryCapMs);
  if (error instanceof ChatHttpError) {
    if (!isRetriableStatus(error.status)) return undefined;
    return error.retryAfterMs ?? backoff;
  }
  if (error instanceof ChatStreamError) {
    // Text already went to stdout; a second answer would be appended to the first.
    if (error.streamed || error.kind === 'deadline') return undefined;
    return backoff;
  }
  return undefined;
}

function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function toConductorError(settings: RestSettings | undefined, error: unknown): ConductorError {
  if (isConductorError(error)) return error;
  if (settings === undefined) {
    return new RetriableError(
      'AGENT_FAILED',
      error instanceof Error ? error.message : String(error),
    );
  }
  const label = settings.type;
  const message = redact(error instanceof Error ? error.message : String(error), settings.key);
  if (error instanceof ChatHttpError) {
    if (error.status === 401 || error.status === 403) {
      return new ConfigError(
        'AGENT_AUTH',
        `${label}: API key rejected (${message}); check ${settings.keyEnvVar}`,
      );
    }
    if (isRetriableStatus(error.status))
      return new RetriableError('AGENT_UNAVAILABLE', `${label}: ${message}`);
    return new PermanentError('AGENT_REQUEST_REJECTED', `${label}: ${message}`);
  }
  if (error instanceof ChatStreamError) {
    const code =
      error.kind === 'network' || error.kind === 'stream-error' ? 'AGENT_NETWORK' : 'AGENT_TIMEOUT';
    return new RetriableError(code, `${label}: ${message}`);
  }
  return new RetriableError('AGENT_FAILED', `${label}: ${message}`);
}

/** Servers sometimes echo the key they rejected; never let it reach a file or terminal. */
export function redact(text: string, key: string): string {
  if (key.length < 4) return text;
  return text.split(key).join('***');
}

function usageOf(settings: RestSettings, result: ChatResult): RestUsageFile {
  return {
    type: settings.type,
    model: result.model ?? settings.model,
    input_tokens: result.usage?.prompt_tokens,
    output_tokens: result.usage?.completion_tokens,
    cached_input_tokens: result.usage?.cached_tokens,
    finish_reason: result.finishReason,
  };
}

function writeUsage(runDir: string, usage: RestUsageFile): void {
  writeFileAtomicSync(join(runDir, AGENT_USAGE_FILE), `${JSON.stringify(usage, null, 2)}\n`);
}
