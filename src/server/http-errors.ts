/**
 * HTTP-only failures (auth, limits, methods) and the one mapping from any error to a status
 * and the API's error body `{"error":{"code","message","request_id"}}` (docs/api.md).
 * Our domain errors keep their classes; this only decides how they look over HTTP.
 */
import { isConductorError } from '../core/errors.js';

export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = headers;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; request_id: string };
}

export interface MappedError {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** Fastify's own errors (body parsing, limits) carry a statusCode and an FST_ code. */
function fastifyStatus(error: unknown): { statusCode: number; code?: string } | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  const statusCode = error.statusCode;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 599) return undefined;
  const code = (error as { code?: unknown }).code;
  return { statusCode, ...(typeof code === 'string' ? { code } : {}) };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** One line, no stack, bounded length: error messages go to untrusted clients. */
function clean(message: string): string {
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

export function mapError(error: unknown, requestId: string): MappedError {
  let statusCode = 500;
  let code = 'INTERNAL';
  let message = 'internal server error';
  let headers: Record<string, string> = {};
  if (error instanceof HttpError) {
    ({ statusCode, code, headers } = error);
    message = error.message;
  } else if (isConductorError(error)) {
    message = error.message;
    if (error.code === 'NOT_FOUND') statusCode = 404;
    else if (error.code === 'CONFLICT') statusCode = 409;
    else if (error.code === 'INVALID_INPUT') statusCode = 400;
    else if (error.family === 'retriable') statusCode = 503;
    else if (error.code === 'FS_ERROR') statusCode = 500;
    // Other permanent and config errors are the caller's to fix (unknown agent, cycle...).
    else statusCode = 400;
    code = statusCode === 500 ? 'INTERNAL' : (CODE_BY_STATUS[statusCode] ?? error.code);
    if (statusCode === 500) message = 'internal server error';
    if (statusCode === 503) headers = { 'retry-after': '1' };
  } else {
    const fst = fastifyStatus(error);
    if (fst !== undefined && fst.statusCode < 500) {
      statusCode = fst.statusCode;
      code = CODE_BY_STATUS[statusCode] ?? 'INVALID_INPUT';
      message =
        statusCode === 413
          ? 'request body too large'
          : error instanceof Error
            ? error.message
            : 'bad request';
    }
  }
  return {
    statusCode,
    headers,
    body: { error: { code, message: clean(message), request_id: requestId } },
  };
}
