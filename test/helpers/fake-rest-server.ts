/**
 * Fake perplexity/xai endpoint for tests: real HTTP on 127.0.0.1 (random port), OpenAI-style
 * chat completions with `stream: true` SSE. The mode comes from `FAKE_REST=<mode>[:n]` in the
 * prompt, else the `x-fake-mode` header, else `normal`:
 *   normal        SSE answer; perplexity paths add citations + search_results, usage last
 *   slow          the answer in 6 pieces, 200 ms apart
 *   single        one non-SSE `chat.completion` JSON body
 *   auth          401 `{"error":{"message":…}}` echoing the key (clients must redact it)
 *   xai-auth      401 with xai's string `error` body, echoing the key
 *   bad-model     400 with a string `error` (permanent)
 *   429:n         n × 429 with Retry-After (see options), then normal
 *   500:n         n × 500, then normal
 *   drop:n        n × socket destroyed before any response, then normal
 *   reset         headers + one chunk, then the socket is destroyed
 *   hang          never answers
 * Every request is recorded (method, path, headers, JSON body, mode) for assertions.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    messages?: { content?: string }[];
    stream?: boolean;
    stream_options?: unknown;
  };
  mode: string;
  at: number;
}

export interface FakeRestOptions {
  /** `Retry-After` header value on 429 (seconds); default '1'. */
  retryAfter?: string;
  /** Also send `retry-after-ms` (wins in the client) when set. */
  retryAfterMs?: number;
}

export interface FakeRestServer {
  /** Base URL, e.g. http://127.0.0.1:12345 */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export const FAKE_ANSWER = 'Paris is the capital [1].';

export async function startFakeRestServer(options: FakeRestOptions = {}): Promise<FakeRestServer> {
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, number>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: RecordedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
      } catch {
        // recorded as empty
      }
      const prompt = body.messages?.map((m) => m.content ?? '').join('\n') ?? '';
      const header = req.headers['x-fake-mode'];
      const mode =
        /FAKE_REST=([\w:-]+)/.exec(prompt)?.[1] ?? (typeof header === 'string' ? header : 'normal');
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        mode,
        at: Date.now(),
      });
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const perplexity = !(req.url ?? '').startsWith('/v1/');
      respond(mode, res, {
        key,
        perplexity,
        model: body.model ?? 'fake-model',
        includeUsage: body.stream_options !== undefined,
      });
    });
  });

  function respond(mode: string, res: ServerResponse, ctx: AnswerContext): void {
    const [name = 'normal', countText] = mode.split(':');
    const limit = Number(countText ?? '1') || 1;
    const failing = (): boolean => {
      const seen = failures.get(mode) ?? 0;
      if (seen >= limit) return false;
      failures.set(mode, seen + 1);
      return true;
    };
    switch (name) {
      case 'auth':
        return json(res, 401, {
          error: {
            message: `Invalid API key ${ctx.key}`,
            type: 'invalid_request_error',
            code: 401,
          },
        });
      case 'xai-auth':
        return json(res, 401, {
          code: 'Client specified an invalid argument',
          error: `Incorrect API key provided: ${ctx.key}`,
        });
      case 'bad-model':
        return json(res, 400, {
          code: 'Client specified an invalid argument',
          error: `The model ${ctx.model} does not exist`,
        });
      case '429':
        if (failing()) {
          const headers: Record<string, string> = { 'retry-after': options.retryAfter ?? '1' };
          if (options.retryAfterMs !== undefined)
            headers['retry-after-ms'] = String(options.retryAfterMs);
          return json(
            res,
            429,
            { error: { message: 'rate limited', type: 'rate_limit' } },
            headers,
          );
        }
        return sse(res, ctx, 0);
      case '500':
        if (failing())
          return json(res, 500, { error: { message: 'internal error', type: 'server_error' } });
        return sse(res, ctx, 0);
      case 'drop':
        if (failing()) {
          res.socket?.destroy();
          return;
        }
        return sse(res, ctx, 0);
      case 'reset':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk(ctx, 'Paris is', null))}\n\n`, () => {
          setTimeout(() => res.socket?.destroy(), 50);
        });
        return;
      case 'single':
        return json(res, 200, {
          id: 'c1',
          object: 'chat.completion',
          model: ctx.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: FAKE_ANSWER },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 },
        });
      case 'hang':
        return;
      case 'slow':
        return sse(res, ctx, 200);
      default:
        return sse(res, ctx, 0);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface AnswerContext {
  key: string;
  perplexity: boolean;
  model: string;
  includeUsage: boolean;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function chunk(
  ctx: AnswerContext,
  content: string,
  finish: string | null,
  extra: Record<string, unknown> = {},
): unknown {
  const base: Record<string, unknown> = {
    id: 'c1',
    model: ctx.model,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
    ...extra,
  };
  if (ctx.perplexity) base.citations = ['https://example.org/a', 'https://example.org/b'];
  return base;
}

function sse(res: ServerResponse, ctx: AnswerContext, stepMs: number): void {
  const pieces =
    stepMs > 0
      ? ['Paris ', 'is ', 'the ', 'capital ', '[1]', '.']
      : ['Paris is', ' the capital [1].'];
  const events: unknown[] = pieces.map((p, i) =>
    chunk(ctx, p, i === pieces.length - 1 ? 'stop' : null),
  );
  if (ctx.perplexity) {
    events.push({
      ...(chunk(ctx, '', 'stop') as object),
      search_results: [
        { title: 'Source A', url: 'https://example.org/a' },
        { title: 'Source C', url: 'https://example.org/c' },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 },
    });
  } else if (ctx.includeUsage) {
    events.push({
      id: 'c1',
      model: ctx.model,
      object: 'chat.completion.chunk',
      choices: [],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 7,
        total_tokens: 19,
        prompt_tokens_details: { cached_tokens: 4 },
      },
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (i < events.length) {
      // reasoning_content must be skipped by clients (xai)
      if (i === 0 && !ctx.perplexity)
        res.write(
          `data: ${JSON.stringify({ id: 'c1', model: ctx.model, choices: [{ index: 0, delta: { reasoning_content: 'thinking…' } }] })}\n\n`,
        );
      res.write(`data: ${JSON.stringify(events[i++])}\n\n`);
      if (stepMs > 0) setTimeout(next, stepMs);
      else next();
      return;
    }
    res.end('data: [DONE]\n\n');
  };
  next();
}
