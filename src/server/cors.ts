/**
 * CORS with an allow-list from config (`api.cors_origins`; `*` allows any origin). An
 * origin not on the list gets no CORS headers, so the browser blocks the response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_METHODS = 'GET,POST,DELETE,OPTIONS';
const ALLOW_HEADERS =
  'Content-Type, Authorization, X-API-Key, X-Request-ID, X-Conductor-Client, Last-Event-ID';

/** Sets CORS headers; returns true when the request was a preflight that is now answered. */
export function applyCors(
  allowed: readonly string[],
  request: FastifyRequest,
  reply: FastifyReply,
): boolean {
  const origin = request.headers.origin;
  const ok = origin !== undefined && (allowed.includes('*') || allowed.includes(origin));
  if (ok) {
    void reply.header('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
    void reply.header('vary', 'Origin');
    void reply.header('access-control-expose-headers', 'X-Request-ID, X-File-Size, Retry-After');
  }
  if (
    request.method === 'OPTIONS' &&
    request.headers['access-control-request-method'] !== undefined
  ) {
    if (ok) {
      void reply.header('access-control-allow-methods', ALLOW_METHODS);
      void reply.header('access-control-allow-headers', ALLOW_HEADERS);
      void reply.header('access-control-max-age', '600');
    }
    void reply.code(204).send();
    return true;
  }
  return false;
}
