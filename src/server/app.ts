/**
 * The fastify application: request ids, CORS, auth, metrics and logging hooks, the one
 * error handler, 404/405 handling with the UI's SPA fallback, and all routes.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { log } from '../core/log.js';
import { isAuthExempt, presentedKey } from './auth.js';
import type { ServerContext } from './context.js';
import { applyCors } from './cors.js';
import { HttpError, mapError } from './http-errors.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerReferenceRoutes } from './routes/reference.js';
import { registerReferenceExtraRoutes } from './routes/reference-extra.js';
import { registerReferenceMessageRoutes } from './routes/reference-messages.js';
import { registerReferenceProjectRoutes } from './routes/reference-projects.js';
import { registerRunFileRoutes } from './routes/run-files.js';
import { registerRunStreamRoutes } from './routes/run-stream.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerStatic, serveSpaFallback } from './static.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** API user of the presented key ('anonymous' when auth is off). */
    user: string;
    startNs: bigint;
  }
}

interface RoutePattern {
  method: string;
  regex: RegExp;
}

function patternToRegex(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((part) =>
      part.startsWith(':')
        ? '[^/]+'
        : part === '*'
          ? '.*'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

export function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? request.url : request.url.slice(0, q);
}

export async function buildApp(ctx: ServerContext): Promise<FastifyInstance> {
  // Typed as fastify's logger so the instance type matches the route modules' FastifyInstance.
  const logger: FastifyBaseLogger = log().child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    // Our onResponse hook logs each request once, with request_id and duration_ms.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    bodyLimit: ctx.config.api.bodyLimitBytes,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true },
  });

  const patterns: RoutePattern[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url === '/*') return; // the UI's catch-all must not turn API 404s into 405s
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) patterns.push({ method, regex: patternToRegex(route.url) });
  });

  app.decorateRequest('user', 'anonymous');
  app.decorateRequest('startNs', 0n);

  // Callback-style hooks: they run on every request, and skip a promise per hook.
  app.addHook('onRequest', (request, reply, done) => {
    request.startNs = process.hrtime.bigint();
    void reply.header(REQUEST_ID_HEADER, request.id);
    const path = pathOf(request);
    if (applyCors(ctx.config.api.corsOrigins, request, reply)) return; // preflight answered
    if (!ctx.auth.enabled || isAuthExempt(path) || request.method === 'OPTIONS') return done();
    const key = presentedKey(request.headers);
    const user = key !== undefined ? ctx.auth.userFor(key) : undefined;
    if (user === undefined) {
      ctx.audit.record({
        action: 'auth.failed',
        request_id: request.id,
        remote_addr: request.ip,
        method: request.method,
        path,
        reason: key === undefined ? 'no key' : 'wrong key',
      });
      return done(
        new HttpError(401, 'UNAUTHORIZED', 'valid API key required', {
          'www-authenticate': 'Bearer realm="conductor"',
        }),
      );
    }
    request.user = user;
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const seconds = Number(process.hrtime.bigint() - request.startNs) / 1e9;
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.recordHttp(route, request.method, reply.statusCode, seconds);
    const quiet = route === '/api/v1/health' || route === '/metrics' || route === '/healthz';
    // Probes are logged only at debug: at thousands of requests/s the line costs more than the answer.
    if (quiet && !ctx.logger.isLevelEnabled('debug')) return done();
    // request.log already carries request_id (requestIdLogLabel).
    const fields = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      duration_ms: Math.round(seconds * 1000 * 100) / 100,
      user: request.user,
    };
    if (quiet) request.log.debug(fields, 'request');
    else request.log.info(fields, 'request');
    done();
  });

  app.setErrorHandler(async (error, request, reply) => {
    const mapped = mapError(error, request.id);
    if (mapped.statusCode >= 500 && mapped.statusCode !== 503) {
      request.log.error({ err: error }, 'request failed');
    }
    return reply.code(mapped.statusCode).headers(mapped.headers).send(mapped.body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = pathOf(request);
    const otherMethods = patterns.some((p) => p.method !== request.method && p.regex.test(path));
    if (otherMethods && request.method !== 'HEAD') {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
    }
    // Client-side routes get index.html; a missing file (a name with an extension) is a 404.
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      !path.startsWith('/api/') &&
      path !== '/metrics' &&
      !/\.[A-Za-z0-9]{1,8}$/.test(path)
    ) {
      return serveSpaFallback(ctx, reply);
    }
    throw new HttpError(404, 'NOT_FOUND', `no route for ${request.method} ${path.slice(0, 200)}`);
  });

  registerHealthRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerRunFileRoutes(app, ctx);
  registerRunStreamRoutes(app, ctx);
  registerTaskRoutes(app, ctx);
  registerMessageRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerStatsRoutes(app, ctx);
  registerReferenceRoutes(app, ctx);
  registerReferenceExtraRoutes(app, ctx);
  registerReferenceProjectRoutes(app, ctx);
  registerReferenceMessageRoutes(app, ctx);
  await registerStatic(app, ctx);
  return app;
}
