import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isConductorError } from '../core/errors.js';
import { ApiClient, DEFAULT_SERVER_URL, resolveClientOptions } from './api-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server | undefined;

/** A real HTTP server on 127.0.0.1 that answers with `handler`. */
async function serve(handler: Handler): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise((resolve) => s.close(resolve));
});

function errorReply(status: number, code: string, message: string, headers = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { code, message, request_id: 'req-1' } }));
  };
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ exitCode: number; message: string; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (!isConductorError(error)) throw error;
    return { exitCode: error.exitCode, message: error.message, code: error.code };
  }
  throw new Error('expected a failure');
}

describe('resolveClientOptions', () => {
  it('prefers flags, then the environment, then the default', () => {
    expect(resolveClientOptions({}, {})).toEqual({
      baseUrl: DEFAULT_SERVER_URL,
      apiKey: undefined,
    });
    expect(
      resolveClientOptions({}, { CONDUCTOR_URL: 'http://h:1', CONDUCTOR_API_KEY: 'k1' }),
    ).toEqual({ baseUrl: 'http://h:1', apiKey: 'k1' });
    expect(
      resolveClientOptions(
        { server: 'http://f:2', apiKey: 'k2' },
        { CONDUCTOR_URL: 'http://h:1', CONDUCTOR_API_KEY: 'k1' },
      ),
    ).toEqual({ baseUrl: 'http://f:2', apiKey: 'k2' });
  });

  it('accepts a host:port without a scheme and trailing slashes', () => {
    expect(new ApiClient({ baseUrl: '127.0.0.1:9/' }).baseUrl).toBe('http://127.0.0.1:9');
  });

  it('rejects a URL that is not http(s) with a validation error', () => {
    expect(() => new ApiClient({ baseUrl: 'ftp://host' })).toThrow(
      'invalid server URL "ftp://host": expected http(s)://host:port',
    );
    expect(() => new ApiClient({ baseUrl: 'http://[::1' })).toThrow('invalid server URL');
  });
});

describe('ApiClient requests', () => {
  it('sends JSON bodies and the API key as a Bearer token', async () => {
    let seen: { method?: string; url?: string; auth?: string; body?: string } = {};
    const url = await serve((req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, body };
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ project_id: 'p', task_id: 't', status: 'running' }));
    });
    const client = new ApiClient({ baseUrl: url, apiKey: 'secret' });
    const created = await client.createTask({ project_id: 'p', task_id: 't', prompt: 'hi' });
    expect(created.task_id).toBe('t');
    expect(seen).toEqual({
      method: 'POST',
      url: '/api/v1/tasks',
      auth: 'Bearer secret',
      body: JSON.stringify({ project_id: 'p', task_id: 't', prompt: 'hi' }),
    });
  });

  it('encodes path segments and drops empty query values', async () => {
    const urls: string[] = [];
    const url = await serve((req, res) => {
      urls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tasks: [], total: 0, limit: 50, offset: 0, has_more: false }));
    });
    await new ApiClient({ baseUrl: url }).listTasks('a b', { status: 'done', agent: undefined });
    expect(urls).toEqual(['/api/v1/projects/a%20b/tasks?status=done']);
  });

  it('follows pagination in allTasks', async () => {
    const url = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset'));
      const tasks = offset === 0 ? [{ task_id: 'a' }, { task_id: 'b' }] : [{ task_id: 'c' }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tasks, total: 3, limit: 2, offset, has_more: offset === 0 }));
    });
    const tasks = await new ApiClient({ baseUrl: url }).allTasks('p');
    expect(tasks.map((t) => t.task_id)).toEqual(['a', 'b', 'c']);
  });
});

describe('ApiClient errors', () => {
  it.each([
    [
      400,
      'INVALID_INPUT',
      'unknown agent "x" (known: codex)',
      2,
      'unknown agent "x" (known: codex)',
    ],
    [404, 'NOT_FOUND', 'task not found', 2, 'task p/t not found'],
    [409, 'CONFLICT', 'task p/t is running', 2, 'task p/t is running'],
    [
      401,
      'UNAUTHORIZED',
      'valid API key required',
      3,
      'API key missing or wrong: pass --api-key or set CONDUCTOR_API_KEY',
    ],
    [500, 'INTERNAL', 'internal server error', 1, 'server error (HTTP 500): internal server error'],
    [503, 'UNAVAILABLE', 'shutting down', 1, 'server error (HTTP 503): shutting down'],
  ])('maps HTTP %i to exit %i', async (status, code, message, exitCode, shown) => {
    const url = await serve(errorReply(status, code, message));
    const result = await failure(new ApiClient({ baseUrl: url }).task('p', 't'));
    expect(result.exitCode).toBe(exitCode);
    expect(result.message).toBe(shown);
  });

  it('names the project or task of a generic 404 by the noun the server used', async () => {
    const url = await serve((req, res) =>
      errorReply(404, 'NOT_FOUND', req.method === 'POST' ? 'project not found' : 'task not found')(
        req,
        res,
        '',
      ),
    );
    const client = new ApiClient({ baseUrl: url });
    expect((await failure(client.postMessage({ project_id: 'p', body: 'x' }))).message).toBe(
      'project p not found',
    );
    expect((await failure(client.messages({ project_id: 'p', task_id: 't' }))).message).toBe(
      'task p/t not found',
    );
    expect((await failure(client.messages({ project_id: 'p' }))).message).toBe('task not found');
  });

  it('maps 429 to a retriable error that mentions Retry-After', async () => {
    const url = await serve(
      errorReply(429, 'RATE_LIMITED', 'too many tasks', { 'retry-after': '7' }),
    );
    const result = await failure(new ApiClient({ baseUrl: url }).status());
    expect(result).toEqual({
      exitCode: 1,
      code: 'RATE_LIMITED',
      message: 'rate limited by the server: too many tasks (Retry-After: 7s)',
    });
  });

  it('maps config-ish server codes to exit 3', async () => {
    const url = await serve(errorReply(400, 'AGENT_UNKNOWN', 'unknown agent "x"'));
    expect((await failure(new ApiClient({ baseUrl: url }).status())).exitCode).toBe(3);
  });

  it('reads the reference error body shape', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized', message: 'valid API key required' }));
    });
    const result = await failure(new ApiClient({ baseUrl: url }).status());
    expect(result.code).toBe('UNAUTHORIZED');
    expect(result.exitCode).toBe(3);
  });

  it('says clearly when nothing listens at the URL', async () => {
    const url = await serve(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const result = await failure(new ApiClient({ baseUrl: url }).health());
    expect(result).toEqual({
      exitCode: 1,
      code: 'SERVER_UNREACHABLE',
      message: `cannot reach the conductor server at ${url}: is \`conductor serve\` running?`,
    });
  });

  it('times out a server that never answers', async () => {
    const url = await serve(() => undefined);
    const client = new ApiClient({ baseUrl: url, requestTimeoutMs: 200 });
    const result = await failure(client.health());
    expect(result.code).toBe('SERVER_TIMEOUT');
    expect(result.exitCode).toBe(1);
  });
});

describe('ApiClient streams', () => {
  it('turns a connection broken mid-stream into a retriable error', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 1\nevent: log\ndata: {}\n\n', () => res.socket?.destroy());
    });
    const seen: string[] = [];
    const result = await failure(
      (async () => {
        for await (const e of new ApiClient({ baseUrl: url }).runStream('r')) seen.push(e.event);
      })(),
    );
    expect(seen).toEqual(['log']);
    expect(result.exitCode).toBe(1);
  });

  it('reads SSE frames and sends Last-Event-ID when resuming', async () => {
    let lastEventId: string | undefined;
    const url = await serve((req, res) => {
      lastEventId = req.headers['last-event-id'] as string | undefined;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      res.write('id: s=3;e=0\nevent: log\ndata: {"stream":"stdout","offset":0,"text":"abc"}\n\n');
      res.end('event: status\ndata: {"run_id":"r","status":"completed"}\n\n');
    });
    const client = new ApiClient({ baseUrl: url });
    const events = [];
    for await (const e of client.runStream('r', { lastEventId: 's=1;e=0' })) events.push(e);
    expect(lastEventId).toBe('s=1;e=0');
    expect(events).toEqual([
      { id: 's=3;e=0', event: 'log', data: '{"stream":"stdout","offset":0,"text":"abc"}' },
      { id: 's=3;e=0', event: 'status', data: '{"run_id":"r","status":"completed"}' },
    ]);
  });
});
