// Shapes from docs/api.md (the contract with src/server).

export type RunStatus =
  'queued' | 'running' | 'completed' | 'failed' | 'timeout' | 'stopped' | 'crashed' | 'unknown';

export type TaskStatus = 'queued' | 'blocked' | 'running' | 'done' | 'failed' | 'stopped' | 'idle';

export interface RunSummary {
  run_id: string;
  project_id: string;
  task_id: string;
  agent: string;
  status: RunStatus;
  exit_code?: number;
  start_time?: string;
  end_time?: string;
  duration_ms?: number;
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
  run_count: number;
  latest_run_id?: string;
  latest_run_status?: RunStatus;
  last_activity?: string;
  depends_on?: string[];
  blocked_by?: string[];
  created_at?: string;
}

export interface TaskDetail extends TaskSummary {
  prompt?: string;
  runs: RunSummary[];
}

export interface ProjectSummary {
  project_id: string;
  task_count: number;
  run_count: number;
  running_count: number;
  last_activity?: string;
}

export interface Page {
  total: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface AgentInfo {
  name: string;
  type: string;
  model?: string;
  timeout_s?: number;
}

export interface MessageRef {
  msg_id: string;
  kind?: string;
}

export interface BusMessage {
  msg_id: string;
  ts: string;
  type: string;
  project_id: string;
  task_id?: string;
  run_id?: string;
  issue_id?: string;
  parents?: MessageRef[];
  links?: { url: string; label?: string; kind?: string }[];
  meta?: Record<string, unknown>;
  body: string;
}

export interface NewTask {
  project_id: string;
  task_id?: string;
  agent?: string;
  prompt?: string;
  cwd?: string;
  depends_on?: string[];
  timeout?: number;
}

export interface CreatedTask {
  project_id: string;
  task_id: string;
  status: string;
  run_id?: string;
  queue_position?: number;
}

export interface AgentStats {
  completed?: number;
  failed?: number;
  timeout?: number;
  stopped?: number;
  crashed?: number;
  avg_duration_ms?: number;
}

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

export type RunFileName = 'output.md' | 'stdout' | 'stderr' | 'prompt';
