/**
 * Response shapes of the HTTP API (docs/api.md). The server is ours, so the client trusts
 * these shapes; optional fields are the ones the server omits when unset.
 */

export type RunStatus =
  'queued' | 'running' | 'completed' | 'failed' | 'timeout' | 'stopped' | 'crashed' | 'unknown';

export type TaskStatus = 'queued' | 'blocked' | 'running' | 'done' | 'failed' | 'stopped' | 'idle';

export interface RunSummary {
  run_id: string;
  project_id: string;
  task_id: string;
  agent?: string;
  status: RunStatus;
  exit_code?: number | null;
  start_time?: string;
  end_time?: string;
  duration_ms?: number | null;
  parent_run_id?: string;
  previous_run_id?: string;
  attempt?: number;
  error_summary?: string;
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
}

export interface RunDetail extends RunSummary {
  children?: string[];
  [key: string]: unknown;
}

export interface TaskSummary {
  project_id: string;
  task_id: string;
  status: TaskStatus;
  agent?: string;
  done?: boolean;
  run_count?: number;
  latest_run_id?: string;
  latest_run_status?: RunStatus;
  last_activity?: string;
  depends_on?: string[];
  blocked_by?: string[];
  created_at?: string;
}

export interface TaskDetail extends TaskSummary {
  prompt?: string;
  runs?: RunSummary[];
}

export interface Page {
  total: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface TaskPage extends Page {
  tasks: TaskSummary[];
}

export interface RunPage extends Page {
  runs: RunSummary[];
}

export interface ProjectSummary {
  project_id: string;
  task_count?: number;
  run_count?: number;
  running_count?: number;
  last_activity?: string;
}

export interface ServerStatus {
  active_runs_count: number;
  queued_runs_count?: number;
  uptime_seconds: number;
  configured_agents: string[];
  version: string;
  running_tasks?: {
    project_id: string;
    task_id: string;
    run_id?: string;
    agent?: string;
    started?: string;
  }[];
}

export interface AgentInfo {
  name: string;
  type: string;
  model?: string;
  timeout_s?: number;
}

export interface Message {
  msg_id: string;
  ts: string;
  type: string;
  project_id: string;
  task_id?: string;
  run_id?: string;
  issue_id?: string;
  parents?: { msg_id: string; kind?: string }[];
  links?: { url: string; label?: string; kind?: string }[];
  meta?: Record<string, unknown>;
  body: string;
}

/** Body of POST /api/v1/tasks. */
export interface CreateTaskRequest {
  project_id: string;
  task_id?: string;
  agent?: string;
  prompt?: string;
  cwd?: string;
  depends_on?: string[];
  /** Total run timeout in seconds. */
  timeout?: number;
  max_restarts?: number;
}

export interface CreateTaskResponse {
  project_id: string;
  task_id: string;
  status: string;
  run_id?: string;
  queue_position?: number;
}

export interface PostMessageRequest {
  project_id: string;
  task_id?: string;
  run_id?: string;
  type?: string;
  body: string;
}

/** Per-agent results in GET /api/v1/stats. */
export interface AgentStats {
  completed?: number;
  failed?: number;
  timeout?: number;
  stopped?: number;
  crashed?: number;
  avg_duration_ms?: number;
}

/** GET /api/v1/stats. */
export interface Stats {
  runs_by_status: Record<string, number>;
  tasks_by_status: Record<string, number>;
  agents: Record<string, AgentStats>;
  tokens: { input: number; output: number; cost_usd: number };
  throughput: { minute: string; completed: number; failed: number }[];
  duration_histogram: { le_seconds: number | string; count: number }[];
  active_runs: number;
  queue_depth: number;
}

/** Run file names the API serves (`/runs/{run}/files/{name}`). */
export type RunFileName = 'output.md' | 'stdout' | 'stderr' | 'prompt';

/** `event: log` of a run stream. */
export interface RunLogEvent {
  stream: 'stdout' | 'stderr';
  offset: number;
  text: string;
}
