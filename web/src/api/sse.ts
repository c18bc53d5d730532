// Server-sent events over fetch streaming, so the API key travels in a header (EventSource
// cannot set headers). Reconnects with backoff and resumes with Last-Event-ID.
import { getApiKey, markAuthRequired, onAuthChange } from './auth';
import { apiUrl } from './base';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'ended';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface StreamOptions {
  path: string;
  query?: Record<string, string | undefined>;
  lastEventId?: string;
  onEvent: (event: SseEvent) => void;
  onState?: (state: StreamState) => void;
  /** Stop when the server closes the stream (run streams end with the run). */
  endOnClose?: boolean;
}

const MAX_BACKOFF_MS = 15_000;
/** After this long without a connection we call it offline (still retrying). */
const OFFLINE_AFTER_MS = 20_000;

/** Splits an event-stream body into events; keeps partial frames across chunks. */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  push(chunk: string, emit: (event: SseEvent) => void): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      this.line(line, emit);
    }
  }

  private line(line: string, emit: (event: SseEvent) => void): void {
    if (line === '') {
      if (this.data.length > 0 || this.event) {
        emit({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.event = '';
      this.data = [];
      this.id = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}

/** Opens a stream and keeps it open until `close()` is called. */
export function openStream(options: StreamOptions): { close: () => void } {
  let closed = false;
  let lastEventId = options.lastEventId;
  let controller: AbortController | undefined;
  let failures = 0;
  let downSince: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waitingForKey = false;

  const setState = (state: StreamState) => options.onState?.(state);
  const stopAuthWatch = onAuthChange(() => {
    if (waitingForKey && getApiKey()) {
      waitingForKey = false;
      failures = 0;
      schedule(0);
    }
  });

  const schedule = (delayMs: number) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), delayMs);
  };

  const connect = async () => {
    if (closed) return;
    controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    const key = getApiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    setState(failures === 0 && downSince === undefined ? 'connecting' : downState());
    try {
      const response = await fetch(apiUrl(options.path, options.query), {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        markAuthRequired();
        waitingForKey = true;
        setState('offline');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      failures = 0;
      downSince = undefined;
      setState('live');
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value, (event) => {
          if (event.id !== undefined && event.id !== '') lastEventId = event.id;
          if (!closed) options.onEvent(event);
        });
      }
      if (options.endOnClose) {
        closed = true;
        setState('ended');
        return;
      }
    } catch (error) {
      if (closed || (error as Error).name === 'AbortError') return;
    }
    failures += 1;
    downSince ??= Date.now();
    setState(downState());
    const delayMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures - 1, 5));
    schedule(delayMs * (0.8 + Math.random() * 0.4));
  };

  const downState = (): StreamState =>
    !navigator.onLine || (downSince !== undefined && Date.now() - downSince > OFFLINE_AFTER_MS)
      ? 'offline'
      : 'reconnecting';

  schedule(0);
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      controller?.abort();
      stopAuthWatch();
    },
  };
}
