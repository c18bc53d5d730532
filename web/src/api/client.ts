// Typed client for docs/api.md. Every request carries the API key header when one is set;
// a 401 raises the key prompt.
import { getApiKey, markAuthRequired } from './auth';
import { apiUrl } from './base';
import type {
  AgentInfo,
  CreateTaskRequest,
  CreateTaskResponse,
  Message,
  Page,
  PostMessageRequest,
  ProjectSummary,
  RunDetail,
  RunFileName,
  RunPage,
  Stats,
  TaskDetail,
  TaskPage,
  TaskSummary,
} from '@client/api-types';

type Query = Record<string, string | number | undefined>;

/** An API error with the server's code and message (`{"error":{code,message}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let code = `HTTP_${response.status}`;
  let message = text.trim() || response.statusText || `HTTP ${response.status}`;
  let details: Record<string, unknown> | undefined;
  let requestId = response.headers.get('X-Request-ID') ?? undefined;
  try {
    const body = JSON.parse(text) as {
      error?:
        | string
        | {
            code?: string;
            message?: string;
            details?: Record<string, unknown>;
            request_id?: string;
          };
      message?: string;
    };
    if (typeof body.error === 'object' && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details;
      requestId = body.error.request_id ?? requestId;
    } else if (typeof body.error === 'string') {
      code = body.error.toUpperCase();
      message = body.message ?? body.error;
    }
  } catch {
    // Not JSON: keep the text.
  }
  if (response.status === 401) markAuthRequired();
  return new ApiError(response.status, code, message, details, requestId);
}

export async function request(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(
      0,
      'UNREACHABLE',
      'Server unreachable: check that conductor serve is running',
    );
  }
  if (!response.ok) throw await toApiError(response);
  return response;
}

async function json<T>(
  method: string,
  path: string,
  options?: Parameters<typeof request>[2],
): Promise<T> {
  const response = await request(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  agents: () => json<{ agents: AgentInfo[]; default?: string }>('GET', 'api/v1/agents'),
  projects: () => json<{ projects: ProjectSummary[] }>('GET', 'api/v1/projects'),
  tasks: (project: string, query: Query = {}) =>
    json<TaskPage>('GET', `api/v1/projects/${enc(project)}/tasks`, {
      query,
    }),
  task: (project: string, task: string) =>
    json<TaskDetail>('GET', `api/v1/projects/${enc(project)}/tasks/${enc(task)}`),
  createTask: (body: CreateTaskRequest) =>
    json<CreateTaskResponse>('POST', 'api/v1/tasks', { body }),
  stopTask: (project: string, task: string) =>
    json<{ stopped_runs: number }>(
      'POST',
      `api/v1/projects/${enc(project)}/tasks/${enc(task)}/stop`,
    ),
  resumeTask: (project: string, task: string) =>
    json<TaskSummary>('POST', `api/v1/projects/${enc(project)}/tasks/${enc(task)}/resume`),
  deleteTask: (project: string, task: string) =>
    json<void>('DELETE', `api/v1/projects/${enc(project)}/tasks/${enc(task)}`),
  runs: (query: Query = {}) => json<RunPage>('GET', 'api/v1/runs', { query }),
  run: (run: string) => json<RunDetail>('GET', `api/v1/runs/${enc(run)}`),
  stopRun: (run: string) => json<{ status: string }>('POST', `api/v1/runs/${enc(run)}/stop`),
  messages: (query: Query) => json<{ messages: Message[] }>('GET', 'api/v1/messages', { query }),
  postMessage: (body: PostMessageRequest) =>
    json<{ msg_id: string; timestamp: string }>('POST', 'api/v1/messages', { body }),
  stats: () => json<Stats>('GET', 'api/v1/stats'),
  /** A run file's text (`?tail=N` bytes when given) and its full size on disk. */
  async runFile(run: string, name: RunFileName, tailBytes?: number, signal?: AbortSignal) {
    const response = await request('GET', `api/v1/runs/${enc(run)}/files/${enc(name)}`, {
      query: { tail: tailBytes },
      signal,
    });
    const text = await response.text();
    const header = Number(response.headers.get('X-File-Size'));
    return {
      text,
      sizeBytes: Number.isFinite(header) && header > 0 ? header : new Blob([text]).size,
    };
  },
  async runFileBlob(run: string, name: RunFileName): Promise<Blob> {
    const response = await request('GET', `api/v1/runs/${enc(run)}/files/${enc(name)}`);
    return response.blob();
  },
};

/** Fetches every page of a paginated list (the server caps `limit`; follow `has_more`). */
export async function fetchAllPages<T, P extends Page>(
  fetchPage: (offset: number, limit: number) => Promise<P>,
  pick: (page: P) => T[],
  pageSize = 500,
): Promise<T[]> {
  const items: T[] = [];
  let offset = 0;
  for (;;) {
    const page = await fetchPage(offset, pageSize);
    const batch = pick(page);
    items.push(...batch);
    if (!page.has_more || batch.length === 0) return items;
    offset += batch.length;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
