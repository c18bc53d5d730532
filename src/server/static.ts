/**
 * The web UI: files from web/dist at `/` (and `/ui/`), index.html for unknown non-API GET
 * paths (client-side routes), or a placeholder page when the UI has not been built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerContext } from './context.js';

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Conductor Loop</title></head>
<body><main><h1>Conductor Loop</h1>
<p>The web UI is not built. Build it with <code>npm run build</code> (or
<code>npm run build --workspace web</code>) and restart the server.</p>
<p>The API is available under <a href="/api/v1/health">/api/v1/</a>.</p></main></body></html>
`;

function hasUi(ctx: ServerContext): boolean {
  const dir = ctx.options.webDir;
  return dir !== undefined && existsSync(join(dir, 'index.html'));
}

export async function registerStatic(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  // `/ui` -> `/ui/` (the reference's UI address); `/ui/` itself is the UI (ignoreTrailingSlash
  // routes both here).
  app.get('/ui', async (request, reply) =>
    request.url.startsWith('/ui/') ? serveSpaFallback(ctx, reply) : reply.redirect('/ui/', 301),
  );
  if (!hasUi(ctx)) return;
  await app.register(fastifyStatic, {
    root: ctx.options.webDir!,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    dotfiles: 'deny',
    // index.html is served fresh; hashed assets may be cached.
    setHeaders: (res, path) => {
      void res.header(
        'cache-control',
        path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600',
      );
    },
  });
}

let cachedIndex: { dir: string; html: string } | undefined;

export async function serveSpaFallback(
  ctx: ServerContext,
  reply: FastifyReply,
): Promise<FastifyReply> {
  void reply.header('cache-control', 'no-cache');
  if (!hasUi(ctx)) return reply.code(200).type('text/html; charset=utf-8').send(PLACEHOLDER);
  const dir = ctx.options.webDir!;
  if (cachedIndex?.dir !== dir)
    cachedIndex = { dir, html: readFileSync(join(dir, 'index.html'), 'utf8') };
  return reply.code(200).type('text/html; charset=utf-8').send(cachedIndex.html);
}
