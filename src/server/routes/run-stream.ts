/**
 * `GET /api/v1/runs/{run}/stream`: stdout/stderr as they grow, read from the run's files
 * (the agent writes straight to disk, so a server restart loses nothing). Event ids are
 * byte offsets `s=<stdout>;e=<stderr>`; `Last-Event-ID` resumes exactly there. The stream
 * ends with a `status` event once the run has ended and both files are drained.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FILES } from '../../core/layout.js';
import { isTerminalStatus } from '../../core/run-info.js';
import type { ServerContext } from '../context.js';
import { readRange, utf8Boundary } from '../file-read.js';
import { lastEventId, type SseStream } from '../sse.js';
import { runSummary } from '../views.js';
import { findRun } from './runs.js';

const CHUNK_BYTES = 64 * 1024;

/** `s=12;e=5` (bytes), or a single integer for both (reference style). */
export function parseLogOffsets(id: string | undefined): { s: number; e: number } {
  if (id === undefined) return { s: 0, e: 0 };
  if (/^\d+$/.test(id)) return { s: Number(id), e: Number(id) };
  const m = /^s=(\d+);e=(\d+)$/.exec(id.trim());
  return m === null ? { s: 0, e: 0 } : { s: Number(m[1]), e: Number(m[2]) };
}

export function registerRunStreamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { run: string } }>('/api/v1/runs/:run/stream', async (request, reply) => {
    const run = findRun(ctx, request.params.run);
    const offsets = parseLogOffsets(lastEventId(request));
    const stream = ctx.sse.open(request, reply, {
      key: `run:${run.info.run_id}`,
      max: ctx.config.api.sse.maxClientsPerRun,
    });
    void pumpRunLogs(ctx, run.info.run_id, offsets, stream);
  });
}

async function pumpRunLogs(
  ctx: ServerContext,
  runId: string,
  offsets: { s: number; e: number },
  stream: SseStream,
): Promise<void> {
  let wake = (): void => {};
  const unsubscribe = ctx.index.onEvent((event) => {
    if (event.kind === 'run' && event.run.info.run_id === runId) wake();
  });
  void stream.closed.then(() => wake());
  try {
    for (;;) {
      const entry = ctx.index.runs.get(runId);
      if (entry === undefined) break;
      // Decide "ended" before draining, so output written just before the end is sent.
      // `unknown` (no status recorded): nothing will change it, so treat it as ended too.
      const ended = isTerminalStatus(entry.info.status) || entry.info.status === 'unknown';
      let progressed = false;
      for (const which of ['stdout', 'stderr'] as const) {
        const file = join(entry.runDir, which === 'stdout' ? FILES.stdout : FILES.stderr);
        const key = which === 'stdout' ? 's' : 'e';
        for (;;) {
          const chunk = readRange(file, () => ({
            start: offsets[key],
            end: offsets[key] + CHUNK_BYTES,
          }));
          if (chunk === undefined || chunk.data.length === 0) break;
          const usable =
            chunk.data.length < CHUNK_BYTES &&
            chunk.start + chunk.data.length === chunk.size &&
            ended
              ? chunk.data.length
              : utf8Boundary(chunk.data);
          if (usable === 0) break;
          const text = chunk.data.subarray(0, usable).toString('utf8');
          const at = offsets[key];
          offsets[key] += usable;
          stream.send('log', { stream: which, offset: at, text }, `s=${offsets.s};e=${offsets.e}`);
          progressed = true;
          if (stream.isClosed) return;
        }
      }
      if (ended && !progressed) {
        stream.send('status', runSummary(entry.info));
        break;
      }
      if (progressed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ctx.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
      if (stream.isClosed) return;
    }
  } finally {
    unsubscribe();
    stream.close();
  }
}
