/**
 * Typed client of the conductor HTTP API (docs/api.md), shared by the `conductor` CLI and
 * usable from a browser: plain fetch, no Node imports. Every failure is one of our typed
 * errors (see api-errors.ts), so callers only format and exit.
 */
import { NotFoundError, RetriableError, ValidationError } from '../core/errors.js';
import { errorFromResponse, networkError } from './api-errors.js';
import type {
  AgentInfo,
  CreateTaskRequest,
  CreateTaskResponse,
  Message,
  PostMessageRequest,
  ProjectSummary,
  RunDetail,
  RunFileName,
  RunPage,
  ServerStatus,
  TaskDetail,
  TaskPage,
  TaskSummary,
} from './api-types.js';
import { readSseEvents, type SseEvent } from './sse-reader.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';
/** Plain requests give up after this long; streams have no deadline. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  /** Defaults to the global fetch; injectable for other runtimes. */
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
}

/** `--server` > `CONDUCTOR_URL` > default, and `--api-key` > `CONDUCTOR_API_KEY`. */
export function resolveClientOptions(
  flags: { server?: string | undefined; apiKey?: string | undefined },
  env: Record<string, string | undefined>,
): ApiClientOptions {
  const pick = (...values: (string | undefined)[]): string | undefined =>
    values.find((v) => v !== undefined && v.trim() !== '');
  return {
    baseUrl: pick(flags.server, env.CONDUCTOR_URL) ?? DEFAULT_SERVER_URL,
    apiKey: pick(flags.apiKey, env.CONDUCTOR_API_KEY),
  };
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface TaskFilters {
  status?: string | undefined;
  agent?: string | undefined;
  q?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface RunFilters {
  project_id?: string | undefined;
  task_id?: string | undefined;
  status?: string | undefined;
  agent?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface MessageFilters {
  project_id: string;
  task_id?: string | undefined;
  since?: string | undefined;
  type?: string | undefined;
  limit?: number | undefined;
}

export interface StreamOptions {
  signal?: AbortSignal | undefined;
  lastEventId?: string | undefined;
}

const seg = encodeURIComponent;

type Subjects = Partial<Record<'project' | 'task' | 'run', string>>;

export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    const base = options.baseUrl.trim().replace(/\/+$/, '');
    this.baseUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? base : `http://${base}`;
    if (!URL.canParse(this.baseUrl) || !/^https?:$/.test(new URL(this.baseUrl).protocol)) {
      throw new ValidationError(
        `invalid server URL ${JSON.stringify(options.baseUrl)}: expected http(s)://host:port`,
      );
    }
    this.apiKey = options.apiKey;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  // ---- server ------------------------------------------------------------------------

  health(): Promise<{ status: string }> {
    return this.json('GET', '/api/v1/health');
  }

  version(): Promise<{ version: string }> {
    return this.json('GET', '/api/v1/version');
  }

  status(): Promise<ServerStatus> {
    return this.json('GET', '/api/v1/status');
  }

  agents(): Promise<{ agents: AgentInfo[]; default?: string }> {
    return this.json('GET', '/api/v1/agents');
  }

  async projects(): Promise<ProjectSummary[]> {
    const body = await this.json<{ projects: ProjectSummary[] }>('GET', '/api/v1/projects');
    return body.projects;
  }

  // ---- tasks -------------------------------------------------------------------------

  createTask(request: CreateTaskRequest): Promise<CreateTaskResponse> {
    return this.json('POST', '/api/v1/tasks', { body: request });
  }

  listTasks(projectId: string, filters: TaskFilters = {}): Promise<TaskPage> {
    return this.json('GET', `/api/v1/projects/${seg(projectId)}/tasks`, { query: { ...filters } });
  }

  /** Every task of a project, following pagination. */
  async allTasks(
    projectId: string,
    filters: Omit<TaskFilters, 'offset'> = {},
  ): Promise<TaskSummary[]> {
    const tasks: TaskSummary[] = [];
    for (let offset = 0; ;) {
      const page = await this.listTasks(projectId, { limit: 500, ...filters, offset });
      tasks.push(...page.tasks);
      if (!page.has_more || page.tasks.length === 0) return tasks;
      offset += page.tasks.length;
    }
  }

  task(projectId: string, taskId: string): Promise<TaskDetail> {
    return this.json('GET', this.taskPath(projectId, taskId), this.taskSubjects(projectId, taskId));
  }

  stopTask(projectId: string, taskId: string): Promise<{ stopped_runs: number }> {
    return this.json(
      'POST',
      `${this.taskPath(projectId, taskId)}/stop`,
      this.taskSubjects(projectId, taskId),
    );
  }

  resumeTask(projectId: string, taskId: string): Promise<TaskSummary> {
    return this.json(
      'POST',
      `${this.taskPath(projectId, taskId)}/resume`,
      this.taskSubjects(projectId, taskId),
    );
  }

  async deleteTask(projectId: string, taskId: string): Promise<void> {
    await this.request(
      'DELETE',
      this.taskPath(projectId, taskId),
      this.taskSubjects(projectId, taskId),
    );
  }

  // ---- runs --------------------------------------------------------------------------

  runs(filters: RunFilters = {}): Promise<RunPage> {
    return this.json('GET', '/api/v1/runs', { query: { ...filters } });
  }

  run(runId: string): Promise<RunDetail> {
    return this.json('GET', `/api/v1/runs/${seg(runId)}`, { subjects: { run: `run ${runId}` } });
  }

  stopRun(runId: string): Promise<{ status: string }> {
    return this.json('POST', `/api/v1/runs/${seg(runId)}/stop`, {
      subjects: { run: `run ${runId}` },
    });
  }

  /** A run file's text; `tail` = last N bytes, `offset` = from that byte on. */
  async runFile(
    runId: string,
    name: RunFileName,
    range: { tail?: number; offset?: number } = {},
  ): Promise<string> {
    const response = await this.request('GET', `/api/v1/runs/${seg(runId)}/files/${seg(name)}`, {
      query: { tail: range.tail, offset: range.offset },
    });
    return response.text();
  }

  /** SSE of a run's stdout/stderr (`log`) and `status` events; ends when the run has ended. */
  runStream(runId: string, options: StreamOptions = {}): AsyncGenerator<SseEvent, void, undefined> {
    return this.stream(`/api/v1/runs/${seg(runId)}/stream`, {}, options);
  }

  // ---- message bus -------------------------------------------------------------------

  async messages(filters: MessageFilters): Promise<Message[]> {
    const body = await this.json<{ messages: Message[] }>('GET', '/api/v1/messages', {
      query: { ...filters },
      subjects: this.busSubjects(filters.project_id, filters.task_id),
    });
    return body.messages;
  }

  postMessage(message: PostMessageRequest): Promise<{ msg_id: string; timestamp: string }> {
    return this.json('POST', '/api/v1/messages', {
      body: message,
      subjects: this.busSubjects(message.project_id, message.task_id),
    });
  }

  messageStream(
    filters: Omit<MessageFilters, 'since' | 'limit'>,
    options: StreamOptions = {},
  ): AsyncGenerator<SseEvent, void, undefined> {
    return this.stream('/api/v1/messages/stream', { ...filters }, options);
  }

  // ---- plumbing ----------------------------------------------------------------------

  private taskSubjects(projectId: string, taskId: string): { subjects: Subjects } {
    return { subjects: { project: `project ${projectId}`, task: `task ${projectId}/${taskId}` } };
  }

  private busSubjects(projectId: string, taskId: string | undefined): Subjects {
    return {
      project: `project ${projectId}`,
      ...(taskId !== undefined ? { task: `task ${projectId}/${taskId}` } : {}),
    };
  }

  private taskPath(projectId: string, taskId: string): string {
    return `/api/v1/projects/${seg(projectId)}/tasks/${seg(taskId)}`;
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs === '' ? '' : `?${qs}`}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  /** One request; a non-2xx answer or a network failure throws our typed error. */
  async request(
    method: string,
    path: string,
    options: {
      query?: Query;
      body?: unknown;
      signal?: AbortSignal;
      stream?: boolean;
      headers?: Record<string, string>;
      /** What a generic 404 (`task not found`) is about, by noun: `{ task: 'task p/t' }`. */
      subjects?: Subjects;
    } = {},
  ): Promise<Response> {
    const init: RequestInit = {
      method,
      headers: this.headers({
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      }),
      // Streams live as long as the caller wants; plain calls get a deadline.
      signal:
        options.signal ?? (options.stream === true ? null : AbortSignal.timeout(this.timeoutMs)),
    };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    let response: Response;
    try {
      response = await this.fetchFn(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      throw networkError(this.baseUrl, error);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const error = errorFromResponse(response.status, text, response.headers, `${method} ${path}`);
      const noun = /^(project|task|run) not found$/i.exec(error.message)?.[1]?.toLowerCase();
      const subject = noun === undefined ? undefined : options.subjects?.[noun as keyof Subjects];
      if (response.status === 404 && subject !== undefined) {
        throw new NotFoundError(`${subject} not found`, { details: error.details });
      }
      throw error;
    }
    return response;
  }

  private async json<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; subjects?: Subjects } = {},
  ): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RetriableError(
        'BAD_RESPONSE',
        `${this.baseUrl} answered ${method} ${path} with something that is not JSON: is it a conductor server?`,
      );
    }
  }

  private async *stream(
    path: string,
    query: Query,
    options: StreamOptions,
  ): AsyncGenerator<SseEvent, void, undefined> {
    const response = await this.request('GET', path, {
      query,
      stream: true,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      headers: {
        accept: 'text/event-stream',
        ...(options.lastEventId !== undefined ? { 'last-event-id': options.lastEventId } : {}),
      },
    });
    if (response.body === null) return;
    try {
      yield* readSseEvents(response.body);
    } catch (error) {
      // The connection broke mid-stream (server restart, network): retriable, resumable.
      if (options.signal?.aborted === true) throw error;
      throw networkError(this.baseUrl, error);
    }
  }
}
