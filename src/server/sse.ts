/**
 * Server-Sent Events plumbing: headers, `id:`/`event:`/`data:` frames, heartbeats, client
 * limits and closing every stream on shutdown. Streams hold no state of their own: each
 * route is a view of files (run logs, bus files) or of the index's event log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

export interface SseOptions {
  heartbeatMs: number;
  maxClients: number;
}

export interface SseStream {
  send(event: string, data: unknown, id?: string): boolean;
  /** As send, with `data` already JSON text (shared by many clients). */
  sendData(event: string, json: string, id?: string): boolean;
  /** Resolves when the client goes away or the stream is closed. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  close(): void;
}

/** The resume point a client asks for: `Last-Event-ID` header, else `?last_event_id=`. */
export function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value !== '') return value.slice(0, 256);
  const query = (request.query as Record<string, unknown> | undefined)?.last_event_id;
  return typeof query === 'string' && query !== '' ? query.slice(0, 256) : undefined;
}

/** Keeps track of open streams: limits, per-key limits (one run), close-all on shutdown. */
export class SseHub {
  private readonly streams = new Set<SseStream>();
  private readonly perKey = new Map<string, number>();

  constructor(private readonly options: SseOptions) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * Take over the response and start an event stream. `key`+`maxPerKey` bound clients per
   * resource (one run's log stream). Throws 503 when the server is at its client limit.
   */
  open(
    request: FastifyRequest,
    reply: FastifyReply,
    limit?: { key: string; max: number },
  ): SseStream {
    if (this.streams.size >= this.options.maxClients) {
      throw new HttpError(503, 'UNAVAILABLE', 'too many event-stream clients; retry later', {
        'retry-after': '5',
      });
    }
    if (limit !== undefined && (this.perKey.get(limit.key) ?? 0) >= limit.max) {
      throw new HttpError(503, 'UNAVAILABLE', `too many clients for ${limit.key}; retry later`, {
        'retry-after': '5',
      });
    }
    reply.hijack();
    const raw = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx: do not buffer the stream (the seed's proxy config).
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    // Small frames must go out at once; an idle stream must not time out (heartbeats do that).
    const socket = request.raw.socket as typeof request.raw.socket | undefined;
    if (typeof socket?.setNoDelay === 'function') socket.setNoDelay(true);
    if (typeof socket?.setTimeout === 'function') socket.setTimeout(0);

    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    let isClosed = false;
    const { streams, perKey } = this;
    const stream: SseStream = {
      get isClosed() {
        return isClosed;
      },
      closed,
      send(event: string, data: unknown, id?: string): boolean {
        return stream.sendData(event, JSON.stringify(data), id);
      },
      sendData(event: string, json: string, id?: string): boolean {
        if (isClosed) return false;
        const frame = id !== undefined ? `id: ${id}\n` : '';
        return raw.write(`${frame}event: ${event}\ndata: ${json}\n\n`);
      },
      close(): void {
        if (isClosed) return;
        isClosed = true;
        clearInterval(heartbeat);
        streams.delete(stream);
        if (limit !== undefined) {
          const left = (perKey.get(limit.key) ?? 1) - 1;
          if (left <= 0) perKey.delete(limit.key);
          else perKey.set(limit.key, left);
        }
        raw.end();
        resolveClosed();
      },
    };
    const heartbeat = setInterval(() => stream.send('heartbeat', {}), this.options.heartbeatMs);
    heartbeat.unref();
    raw.on('close', () => stream.close());
    this.streams.add(stream);
    if (limit !== undefined) this.perKey.set(limit.key, (this.perKey.get(limit.key) ?? 0) + 1);
    return stream;
  }

  closeAll(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}
