/**
 * How HTTP failures become our typed errors, so every `conductor` command exits with the
 * same codes as the local CLIs: unreachable/429/5xx -> retriable (1), 400/404/409 ->
 * permanent (2), 401 -> configuration (3).
 */
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  PermanentError,
  RetriableError,
  ValidationError,
  type ConductorError,
} from '../core/errors.js';

/** Server error codes that mean "fix your configuration" even though they arrive as 400. */
const CONFIG_CODES = new Set(['AGENT_UNKNOWN', 'AGENT_NOT_GIVEN', 'CONFIG_INVALID']);

export interface ErrorBodyParts {
  code: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
}

/** Read `{"error":{"code","message"}}` (ours) or `{"error":"...","message":"..."}` (reference). */
export function parseErrorBody(text: string): ErrorBodyParts {
  const none = { code: undefined, message: undefined, requestId: undefined };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const line = text.trim().split('\n')[0];
    return { ...none, message: line !== undefined && line !== '' ? line : undefined };
  }
  if (typeof body !== 'object' || body === null) return none;
  const record = body as Record<string, unknown>;
  const err = record.error;
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      requestId: typeof e.request_id === 'string' ? e.request_id : undefined,
    };
  }
  return {
    code: typeof err === 'string' ? err : undefined,
    message: typeof record.message === 'string' ? record.message : undefined,
    requestId: undefined,
  };
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date). */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Map a non-2xx response to the error a CLI reports. */
export function errorFromResponse(
  status: number,
  bodyText: string,
  headers: Headers,
  what: string,
): ConductorError {
  const parts = parseErrorBody(bodyText);
  const message = parts.message ?? `${what} failed with HTTP ${status}`;
  const details = { status, code: parts.code, request_id: parts.requestId };
  if (status === 401) {
    return new ConfigError(
      'UNAUTHORIZED',
      'API key missing or wrong: pass --api-key or set CONDUCTOR_API_KEY',
      { details },
    );
  }
  if (status === 429) {
    const after = retryAfterSeconds(headers.get('retry-after'));
    const hint = after === undefined ? 'try again later' : `Retry-After: ${after}s`;
    return new RetriableError('RATE_LIMITED', `rate limited by the server: ${message} (${hint})`, {
      details: { ...details, retry_after_s: after },
    });
  }
  if (status >= 500) {
    return new RetriableError('SERVER_ERROR', `server error (HTTP ${status}): ${message}`, {
      details,
    });
  }
  if (parts.code !== undefined && CONFIG_CODES.has(parts.code)) {
    return new ConfigError(parts.code, message, { details });
  }
  switch (status) {
    case 400:
    case 413:
      return new ValidationError(message, { details });
    case 404:
      return new NotFoundError(message, { details });
    case 409:
      return new ConflictError(message, { details });
    default:
      return new PermanentError(parts.code ?? `HTTP_${status}`, message, { details });
  }
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A fetch that never got a response: server down, wrong host, or too slow. */
export function networkError(baseUrl: string, error: unknown): ConductorError {
  const code = causeCode(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') {
    return new RetriableError(
      'SERVER_TIMEOUT',
      `the conductor server at ${baseUrl} did not answer in time`,
      { cause: error },
    );
  }
  const reason = code === undefined || code === 'ECONNREFUSED' ? '' : ` (${code.toLowerCase()})`;
  return new RetriableError(
    'SERVER_UNREACHABLE',
    `cannot reach the conductor server at ${baseUrl}${reason}: is \`conductor serve\` running?`,
    { cause: error },
  );
}
