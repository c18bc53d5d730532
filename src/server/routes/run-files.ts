/**
 * Run files: output.md, stdout, stderr, prompt; whole, a byte range (`?offset=&limit=`),
 * the last N bytes (`?tail=N`) or an HTTP `Range`. Files are addressed by fixed names inside
 * the run folder, never by a path from a request or from run-info.yaml.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { FILES } from '../../core/layout.js';
import type { ServerContext } from '../context.js';
import { MAX_READ_BYTES, parseRangeHeader, readRange, type ByteRange } from '../file-read.js';
import { findRun } from './runs.js';
import { intFrom, parseQuery } from './parse.js';

const RUN_FILES: Record<string, string> = {
  'output.md': FILES.output,
  output: FILES.output,
  stdout: FILES.stdout,
  stderr: FILES.stderr,
  prompt: FILES.prompt,
  'prompt.md': FILES.prompt,
  [FILES.stdout]: FILES.stdout,
  [FILES.stderr]: FILES.stderr,
};

export function runFileName(name: string): string {
  const file = Object.hasOwn(RUN_FILES, name) ? RUN_FILES[name] : undefined;
  if (file === undefined) {
    throw new NotFoundError(
      `unknown run file ${JSON.stringify(name.slice(0, 60))}: use output.md, stdout, stderr or prompt`,
    );
  }
  return file;
}

const fileQuery = z.object({
  offset: intFrom(0, Number.MAX_SAFE_INTEGER, 0).optional(),
  limit: intFrom(0, MAX_READ_BYTES, MAX_READ_BYTES).optional(),
  tail: intFrom(0, MAX_READ_BYTES, 0).optional(),
});

export function registerRunFileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { run: string; name: string } }>(
    '/api/v1/runs/:run/files/:name',
    async (request, reply) => {
      const run = findRun(ctx, request.params.run);
      const file = runFileName(request.params.name);
      const q = parseQuery(fileQuery, request.query);
      const rangeHeader = request.headers.range;
      if (q.tail !== undefined && q.offset !== undefined) {
        throw new ValidationError('use either tail or offset, not both');
      }
      let partial = false;
      const chunk = readRange(join(run.runDir, file), (size): ByteRange => {
        if (q.tail !== undefined) return { start: size - q.tail, end: size };
        if (q.offset !== undefined || q.limit !== undefined) {
          const start = q.offset ?? 0;
          return { start, end: start + (q.limit ?? MAX_READ_BYTES) };
        }
        if (rangeHeader !== undefined) {
          partial = true;
          return parseRangeHeader(rangeHeader, size);
        }
        return { start: 0, end: size };
      });
      if (chunk === undefined) {
        throw new NotFoundError(`${request.params.name} not found for run ${run.info.run_id}`);
      }
      void reply.header('x-file-size', String(chunk.size));
      void reply.header('accept-ranges', 'bytes');
      if (partial) {
        void reply.code(206);
        void reply.header(
          'content-range',
          `bytes ${chunk.start}-${chunk.start + chunk.data.length - 1}/${chunk.size}`,
        );
      }
      return reply.type('text/plain; charset=utf-8').send(chunk.data);
    },
  );
}
