/**
 * run-info.yaml (compat.md §2): the record of one run. Written atomically; updated under
 * the same lock file the reference uses (`run-info.yaml.lock`); keys it does not know
 * (written by other tools) survive our updates.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, fsError, NotFoundError } from './errors.js';
import { lockSync, unlock } from './flock.js';
import { writeFileAtomicSync } from './fs-atomic.js';
import { FILES, runDirContext } from './layout.js';
import { parseFlatYaml, parseYaml, yamlField, yamlTimestamp } from './yaml.js';

export type RunStatus =
  'queued' | 'running' | 'completed' | 'failed' | 'timeout' | 'stopped' | 'crashed' | 'unknown';

export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'completed',
  'failed',
  'timeout',
  'stopped',
  'crashed',
  'unknown',
];

/** Statuses after which nothing about the run changes (except healing, see compat §8). */
export function isTerminalStatus(status: string): boolean {
  return (
    status === 'completed' ||
    status === 'failed' ||
    status === 'timeout' ||
    status === 'stopped' ||
    status === 'crashed'
  );
}

/** Go's zero time, written as end_time while a run is active. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface RunInfo {
  version: number;
  run_id: string;
  parent_run_id?: string;
  previous_run_id?: string;
  project_id: string;
  task_id: string;
  agent: string;
  process_ownership?: string;
  pid: number;
  pgid: number;
  start_time: string;
  end_time: string;
  exit_code: number;
  status: RunStatus;
  cwd: string;
  prompt_path: string;
  output_path: string;
  stdout_path: string;
  stderr_path: string;
  commandline: string;
  error_summary?: string;
  agent_version: string;
  // ---- ours (omitted when unset) ----
  /** Config agent name when it differs from the type (e.g. `fast-claude`). */
  agent_name?: string;
  /** 0 for the first run of a task loop, then 1, 2, ... */
  attempt?: number;
  timeout_s?: number;
  exit_signal?: string;
  input_tokens?: number;
  output_tokens?: number;
  cached_input_tokens?: number;
  cost_usd?: number;
  session_id?: string;
  model?: string;
  trace_id?: string;
  /** Keys written by other tools; preserved on update. */
  [extra: string]: unknown;
}

/** Key order of the reference, then ours. Keys not listed are written after these. */
const KEY_ORDER = [
  'version',
  'run_id',
  'parent_run_id',
  'previous_run_id',
  'project_id',
  'task_id',
  'agent',
  'process_ownership',
  'pid',
  'pgid',
  'start_time',
  'end_time',
  'exit_code',
  'status',
  'cwd',
  'prompt_path',
  'output_path',
  'stdout_path',
  'stderr_path',
  'commandline',
  'error_summary',
  'agent_version',
  'agent_name',
  'attempt',
  'timeout_s',
  'exit_signal',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cost_usd',
  'session_id',
  'model',
  'trace_id',
] as const;

/** Keys the reference omits when empty (`omitempty`); the rest are always written. */
const OMIT_EMPTY = new Set<string>([
  'parent_run_id',
  'previous_run_id',
  'process_ownership',
  'error_summary',
]);
const ALWAYS = new Set<string>(KEY_ORDER.slice(0, 22).filter((k) => !OMIT_EMPTY.has(k)));
const TIMESTAMP_KEYS = new Set(['start_time', 'end_time']);

/** Serialise in the reference's key order and scalar style. */
export function formatRunInfo(info: RunInfo): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const key of KEY_ORDER) {
    seen.add(key);
    const value = info[key];
    if (value === undefined || value === null) {
      if (ALWAYS.has(key)) lines.push(yamlField(key, defaultFor(key)));
      continue;
    }
    if (value === '' && !ALWAYS.has(key)) continue;
    if (TIMESTAMP_KEYS.has(key) && typeof value === 'string') {
      lines.push(`${key}: ${yamlTimestamp(value)}`);
      continue;
    }
    lines.push(yamlField(key, value));
  }
  for (const [key, value] of Object.entries(info)) {
    if (seen.has(key) || value === undefined) continue;
    lines.push(yamlField(key, value));
  }
  return `${lines.join('\n')}\n`;
}

function defaultFor(key: string): string | number {
  switch (key) {
    case 'version':
      return 1;
    case 'pid':
    case 'pgid':
      return 0;
    case 'exit_code':
      return -1;
    case 'start_time':
    case 'end_time':
      return ZERO_TIME;
    case 'status':
      return 'unknown';
    default:
      return '';
  }
}

/** Whole numbers may arrive as numbers or numeric strings; anything else is dropped. */
function asInt(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

function asNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Lenient shape check of what we read: wrong types are dropped, never fatal. */
const KNOWN_FIELDS: Record<string, (value: unknown) => number | undefined> = {
  version: asInt,
  pid: asInt,
  pgid: asInt,
  exit_code: asInt,
  attempt: asInt,
  timeout_s: asNumber,
  input_tokens: asInt,
  output_tokens: asInt,
  cached_input_tokens: asInt,
  cost_usd: asNumber,
};

/**
 * Parse run-info text. Missing fields are filled from the folder (`runDir`) the way the
 * reference does: ids from the path, status `unknown`.
 */
export function parseRunInfo(text: string, runDir?: string): RunInfo {
  let raw: unknown = parseFlatYaml(text);
  if (raw === undefined) {
    try {
      raw = parseYaml(text);
    } catch {
      raw = {};
    }
  }
  const record: Record<string, unknown> =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw } : {};
  for (const [key, coerce] of Object.entries(KNOWN_FIELDS)) {
    if (!(key in record)) continue;
    const value = coerce(record[key]);
    if (value === undefined) delete record[key];
    else record[key] = value;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key in KNOWN_FIELDS) continue;
    if ((KEY_ORDER as readonly string[]).includes(key)) record[key] = asText(value);
  }
  const fromPath = runDir !== undefined ? pathIds(runDir) : undefined;
  const info: RunInfo = {
    ...record,
    version: (record.version as number | undefined) ?? (Object.keys(record).length === 0 ? 0 : 1),
    run_id: (record.run_id as string | undefined) || fromPath?.runId || '',
    project_id: (record.project_id as string | undefined) || fromPath?.projectId || '',
    task_id: (record.task_id as string | undefined) || fromPath?.taskId || '',
    agent: (record.agent as string | undefined) ?? '',
    pid: (record.pid as number | undefined) ?? 0,
    pgid: (record.pgid as number | undefined) ?? 0,
    start_time: (record.start_time as string | undefined) ?? ZERO_TIME,
    end_time: (record.end_time as string | undefined) ?? ZERO_TIME,
    exit_code: (record.exit_code as number | undefined) ?? -1,
    status: ((record.status as string | undefined) || 'unknown') as RunStatus,
    cwd: (record.cwd as string | undefined) ?? '',
    prompt_path:
      (record.prompt_path as string | undefined) ?? (runDir ? join(runDir, FILES.prompt) : ''),
    output_path:
      (record.output_path as string | undefined) ?? (runDir ? join(runDir, FILES.output) : ''),
    stdout_path:
      (record.stdout_path as string | undefined) ?? (runDir ? join(runDir, FILES.stdout) : ''),
    stderr_path:
      (record.stderr_path as string | undefined) ?? (runDir ? join(runDir, FILES.stderr) : ''),
    commandline: (record.commandline as string | undefined) ?? '',
    agent_version: (record.agent_version as string | undefined) ?? '',
  };
  return info;
}

function pathIds(runDir: string): { projectId: string; taskId: string; runId: string } {
  const { taskDir, runId } = runDirContext(runDir);
  const parts = taskDir.split('/');
  return { runId, taskId: parts[parts.length - 1] ?? '', projectId: parts[parts.length - 2] ?? '' };
}

export function runInfoPath(runDir: string): string {
  return join(runDir, FILES.runInfo);
}

/** Read a run's info; undefined when the folder has no run-info.yaml. */
export function tryReadRunInfo(runDir: string): RunInfo | undefined {
  let text: string;
  try {
    text = readFileSync(runInfoPath(runDir), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw fsError('read', runInfoPath(runDir), error);
  }
  return parseRunInfo(text, runDir);
}

/** Read a run's info; a folder without the file yields a synthesized version-0 record. */
export function readRunInfo(runDir: string): RunInfo {
  const info = tryReadRunInfo(runDir);
  if (info !== undefined) return info;
  try {
    statSync(runDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`run folder not found: ${runDir}`);
    throw fsError('read', runDir, error);
  }
  return parseRunInfo('', runDir);
}

export function writeRunInfo(runDir: string, info: RunInfo): void {
  writeFileAtomicSync(runInfoPath(runDir), formatRunInfo(info), { mode: 0o644 });
}

/**
 * Read-modify-write under an exclusive flock on `run-info.yaml.lock` (the reference's lock),
 * so concurrent updaters (a CLI supervisor, the server, the reference) never lose a field.
 */
export function updateRunInfo(runDir: string, mutate: (info: RunInfo) => RunInfo | void): RunInfo {
  const lockPath = join(runDir, FILES.runInfoLock);
  const fd = lockTransientFile(lockPath);
  try {
    const current = readRunInfo(runDir);
    const next = mutate(current) ?? current;
    writeRunInfo(runDir, next);
    return next;
  } finally {
    // The lock file is transient (as the reference leaves it): remove it before unlocking.
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
    unlock(fd);
    closeSync(fd);
  }
}

/**
 * Lock a file that holders delete when done. After taking the lock we check the path still
 * names the file we locked; if a previous holder removed it meanwhile we start again, so
 * two updaters can never both believe they hold the lock.
 */
function lockTransientFile(lockPath: string): number {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'a', 0o644);
    } catch (error) {
      throw fsError('lock', lockPath, error);
    }
    try {
      lockSync(fd, { timeoutMs: Math.max(1, deadline - Date.now()), what: lockPath });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    let samePath = false;
    try {
      samePath = fstatSync(fd).ino === statSync(lockPath).ino;
    } catch {
      samePath = false;
    }
    if (samePath) return fd;
    unlock(fd);
    closeSync(fd);
  }
}

/** Duration of a run in ms (to now while it is active), or undefined if it never started. */
export function runDurationMs(info: RunInfo, now: number = Date.now()): number | undefined {
  const start = Date.parse(info.start_time);
  if (!Number.isFinite(start) || info.start_time === ZERO_TIME) return undefined;
  const end = info.end_time === ZERO_TIME ? now : Date.parse(info.end_time);
  return Number.isFinite(end) ? Math.max(0, end - start) : undefined;
}
