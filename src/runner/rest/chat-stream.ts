/**
 * One chat-completions request with `stream: true`: streams `delta.content` to `onText` as
 * it arrives and collects citations, search results, usage and model. Also accepts a plain
 * `chat.completion` JSON reply. Connect (until headers), idle (between chunks) and total
 * deadlines abort the request. Throws ChatHttpError or ChatStreamError; never retries.
 */
import { arr, isObject, num, obj, str, type JsonObject } from '../agents/jsonl.js';
import { parseRetryAfter } from './retry.js';
import { SseParser } from './sse.js';

export interface ChatRequest {
  url: string;
  key: string;
  body: Record<string, unknown>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Absolute end of the whole run (Date.now() clock). */
  deadlineMs: number;
  onText: (text: string) => void;
}

export interface SearchResult {
  title?: string;
  url: string;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
}

export interface ChatResult {
  text: string;
  citations: string[];
  searchResults: SearchResult[];
  usage?: ChatUsage;
  model?: string;
  finishReason?: string;
}

export class ChatHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'ChatHttpError';
  }
}

export type StreamFailure =
  'network' | 'connect-timeout' | 'idle-timeout' | 'deadline' | 'stream-error';

export class ChatStreamError extends Error {
  constructor(
    readonly kind: StreamFailure,
    message: string,
    /** Some text already reached onText: a retry would repeat it. */
    readonly streamed: boolean,
  ) {
    super(message);
    this.name = 'ChatStreamError';
  }
}

export async function streamChat(request: ChatRequest): Promise<ChatResult> {
  const controller = new AbortController();
  let abortKind: StreamFailure | undefined;
  const abort = (kind: StreamFailure): void => {
    abortKind ??= kind;
    controller.abort();
  };
  const remaining = (): number => Math.max(0, request.deadlineMs - Date.now());
  const totalTimer = setTimeout(() => abort('deadline'), remaining());
  let phaseTimer = setTimeout(() => abort('connect-timeout'), request.connectTimeoutMs);
  const collector = new ChatCollector(request.onText);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${request.key}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify(request.body),
      signal: controller.signal,
    });
    clearTimeout(phaseTimer);
    const armIdle = (): void => {
      clearTimeout(phaseTimer);
      phaseTimer = setTimeout(() => abort('idle-timeout'), request.idleTimeoutMs);
    };
    armIdle();
    if (!response.ok) {
      const text = await response.text();
      throw new ChatHttpError(
        response.status,
        errorMessageOf(text, response.status),
        parseRetryAfter(response.headers),
      );
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream') || response.body === null) {
      collector.completion(parseJson(await response.text()));
      return collector.result();
    }
    const sse = new SseParser();
    const decoder = new TextDecoder();
    let done = false;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      armIdle();
      for (const data of sse.push(decoder.decode(chunk, { stream: true }))) {
        if (collector.event(data)) done = true;
      }
      if (done) break;
    }
    if (!done) for (const data of sse.end()) collector.event(data);
    return collector.result();
  } catch (error) {
    if (error instanceof ChatHttpError || error instanceof ChatStreamError) throw error;
    const streamed = collector.streamed;
    if (abortKind !== undefined)
      throw new ChatStreamError(abortKind, timeoutMessage(abortKind, request), streamed);
    throw new ChatStreamError('network', `network error: ${networkReason(error)}`, streamed);
  } finally {
    clearTimeout(totalTimer);
    clearTimeout(phaseTimer);
  }
}

function timeoutMessage(kind: StreamFailure, request: ChatRequest): string {
  switch (kind) {
    case 'connect-timeout':
      return `no response within ${request.connectTimeoutMs} ms`;
    case 'idle-timeout':
      return `stream idle for ${request.idleTimeoutMs} ms`;
    default:
      return 'total timeout reached';
  }
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error && isObject(error.cause) ? error.cause : undefined;
  const code = str(cause?.code);
  if (code !== undefined) return code;
  const message = error instanceof Error ? error.message : String(error);
  return message === 'terminated' ? 'connection closed mid-stream' : message;
}

function parseJson(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `{"error":{"message"}}`, xai's `{"error":"…"}`, or the raw body, on one line. */
export function errorMessageOf(body: string, status: number): string {
  const json = parseJson(body);
  const error = json?.error;
  const message =
    str(error) ??
    str(obj(error)?.message) ??
    str(json?.message) ??
    str(json?.detail) ??
    body.trim();
  const flat = message.replace(/\s+/g, ' ').slice(0, 300);
  return flat === '' ? `HTTP ${status}` : `HTTP ${status}: ${flat}`;
}

/** Accumulates one response from SSE chunks or a single completion body. */
class ChatCollector {
  private text = '';
  private readonly citations: string[] = [];
  private readonly searchResults: SearchResult[] = [];
  private usage: ChatUsage | undefined;
  private model: string | undefined;
  private finishReason: string | undefined;
  streamed = false;

  constructor(private readonly onText: (text: string) => void) {}

  /** Handle one SSE data payload; true at `[DONE]`. */
  event(data: string): boolean {
    if (data.trim() === '[DONE]') return true;
    const chunk = parseJson(data);
    if (chunk === undefined) return false;
    if (chunk.error !== undefined) {
      throw new ChatStreamError(
        'stream-error',
        errorMessageOf(data, 200).replace(/^HTTP 200: /, ''),
        this.streamed,
      );
    }
    for (const choice of arr(chunk.choices)) {
      const delta = obj(obj(choice)?.delta) ?? obj(obj(choice)?.message);
      // reasoning_content (xai) is thinking, not answer: skipped on purpose.
      const content = str(delta?.content);
      if (content !== undefined && content !== '') this.append(content);
      this.finishReason = str(obj(choice)?.finish_reason) ?? this.finishReason;
    }
    this.meta(chunk);
    return false;
  }

  completion(body: JsonObject | undefined): void {
    if (body === undefined)
      throw new ChatStreamError('stream-error', 'reply is neither SSE nor JSON', false);
    const choice = obj(arr(body.choices)[0]);
    const content = str(obj(choice?.message)?.content);
    if (content !== undefined) this.append(content);
    this.finishReason = str(choice?.finish_reason);
    this.meta(body);
  }

  result(): ChatResult {
    return {
      text: this.text,
      citations: this.citations,
      searchResults: this.searchResults,
      usage: this.usage,
      model: this.model,
      finishReason: this.finishReason,
    };
  }

  private append(content: string): void {
    this.text += content;
    this.streamed = true;
    this.onText(content);
  }

  private meta(chunk: JsonObject): void {
    this.model = str(chunk.model) ?? this.model;
    for (const c of arr(chunk.citations)) {
      if (typeof c === 'string' && !this.citations.includes(c)) this.citations.push(c);
    }
    for (const r of arr(chunk.search_results)) {
      const url = str(obj(r)?.url);
      if (url !== undefined && !this.searchResults.some((s) => s.url === url)) {
        this.searchResults.push({ url, title: str(obj(r)?.title) });
      }
    }
    const usage = obj(chunk.usage);
    if (usage !== undefined) {
      this.usage = {
        prompt_tokens: num(usage.prompt_tokens),
        completion_tokens: num(usage.completion_tokens),
        cached_tokens: num(obj(usage.prompt_tokens_details)?.cached_tokens),
      };
    }
  }
}
