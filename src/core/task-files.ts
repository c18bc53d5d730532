/**
 * Task-level files (compat.md §1): TASK.md, DONE, TASK-CONFIG.yaml {depends_on},
 * STOP-REQUESTED, CANCELLED and our TASK-LOOP.yaml (restart-loop state). Every whole-file
 * write is atomic so a reader in another process never sees half a file.
 */
import { hostname } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { lazySchema } from './zod-lazy.js';
import { errnoCode, fsError } from './errors.js';
import { writeFileAtomicSync } from './fs-atomic.js';
import { assertSafeId, formatPreciseTimestamp } from './ids.js';
import { FILES } from './layout.js';
import { parseYaml, yamlField } from './yaml.js';

function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw fsError('read', path, error);
  }
}

function removeIfExists(path: string): boolean {
  try {
    statSync(path);
  } catch {
    return false;
  }
  try {
    rmSync(path, { force: true });
  } catch (error) {
    throw fsError('remove', path, error);
  }
  return true;
}

export function ensureTaskDir(taskDir: string): void {
  try {
    mkdirSync(taskDir, { recursive: true });
  } catch (error) {
    throw fsError('create', taskDir, error);
  }
}

// ---- TASK.md ------------------------------------------------------------------------------

export function readTaskPrompt(taskDir: string): string | undefined {
  return readTextIfExists(join(taskDir, FILES.taskPrompt));
}

/** Write TASK.md as `prompt + "\n"` unless it exists (compat §1). True when written. */
export function ensureTaskPrompt(taskDir: string, prompt: string): boolean {
  if (readTaskPrompt(taskDir) !== undefined) return false;
  ensureTaskDir(taskDir);
  writeFileAtomicSync(join(taskDir, FILES.taskPrompt), `${prompt.trim()}\n`);
  return true;
}

// ---- DONE -----------------------------------------------------------------------------------

export function isDone(taskDir: string): boolean {
  return doneMtime(taskDir) !== undefined;
}

/** DONE's modification time, or undefined when the task is not done. */
export function doneMtime(taskDir: string): Date | undefined {
  try {
    return statSync(join(taskDir, FILES.done)).mtime;
  } catch {
    return undefined;
  }
}

export function markDone(taskDir: string): void {
  ensureTaskDir(taskDir);
  writeFileAtomicSync(join(taskDir, FILES.done), '');
}

export function clearDone(taskDir: string): boolean {
  return removeIfExists(join(taskDir, FILES.done));
}

// ---- TASK-CONFIG.yaml -----------------------------------------------------------------------

export interface TaskConfig {
  depends_on: string[];
}

const taskConfigSchema = lazySchema((z) =>
  z.object({
    depends_on: z.pipe(
      z.transform((v: unknown) =>
        v === null || v === undefined ? [] : typeof v === 'string' ? [v] : v,
      ),
      z.array(
        z.pipe(
          z.transform((v: unknown) => String(v as string)),
          z.string(),
        ),
      ),
    ),
  }),
);

export function readTaskConfig(taskDir: string): TaskConfig {
  const text = readTextIfExists(join(taskDir, FILES.taskConfig));
  if (text === undefined) return { depends_on: [] };
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch {
    raw = {};
  }
  const parsed = taskConfigSchema().safeParse(raw);
  const deps = parsed.success ? parsed.data.depends_on : [];
  return { depends_on: deps.map((d) => d.trim()).filter((d) => d !== '') };
}

export function writeTaskConfig(taskDir: string, config: TaskConfig): void {
  for (const dep of config.depends_on) assertSafeId('task id', dep);
  ensureTaskDir(taskDir);
  writeFileAtomicSync(
    join(taskDir, FILES.taskConfig),
    `${yamlField('depends_on', config.depends_on)}\n`,
  );
}

// ---- STOP-REQUESTED / CANCELLED ---------------------------------------------------------------

export interface StopRequest {
  /** `permanent` (from `stop --no-restart`): no loop may restart the task. */
  permanent: boolean;
  /** RFC3339 time written by a plain stop, if any. */
  requestedAt?: string;
}

export function readStopRequested(taskDir: string): StopRequest | undefined {
  const text = readTextIfExists(join(taskDir, FILES.stopRequested));
  if (text === undefined) return undefined;
  const line = text.trim();
  if (line === 'permanent') return { permanent: true };
  return line === '' ? { permanent: false } : { permanent: false, requestedAt: line };
}

/** `permanent\n` or `<RFC3339 UTC>\n`, as the reference's `stop` writes it. */
export function writeStopRequested(taskDir: string, permanent: boolean): void {
  ensureTaskDir(taskDir);
  const body = permanent ? 'permanent' : new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  writeFileAtomicSync(join(taskDir, FILES.stopRequested), `${body}\n`);
}

export function clearStopRequested(taskDir: string): boolean {
  return removeIfExists(join(taskDir, FILES.stopRequested));
}

export interface Cancellation {
  reason: string;
  cancelledAt?: string;
}

export function readCancelled(taskDir: string): Cancellation | undefined {
  const text = readTextIfExists(join(taskDir, FILES.cancelled));
  if (text === undefined) return undefined;
  try {
    const raw = parseYaml(text);
    if (raw !== null && typeof raw === 'object' && 'reason' in raw) {
      const record = raw as Record<string, unknown>;
      return {
        reason: String(record.reason),
        ...(typeof record.cancelled_at === 'string' ? { cancelledAt: record.cancelled_at } : {}),
      };
    }
  } catch {
    // not YAML: another tool wrote free text; that text is the reason
  }
  return { reason: text.trim() };
}

export function writeCancelled(taskDir: string, reason: string): void {
  ensureTaskDir(taskDir);
  const lines = [
    yamlField('cancelled_at', formatPreciseTimestamp()),
    yamlField('reason', reason.trim()),
  ];
  writeFileAtomicSync(join(taskDir, FILES.cancelled), `${lines.join('\n')}\n`);
}

// ---- TASK-LOOP.yaml ---------------------------------------------------------------------------

export type LoopStatus = 'queued' | 'blocked' | 'running' | 'done' | 'failed' | 'stopped';
export const LOOP_STATUSES: readonly LoopStatus[] = [
  'queued',
  'blocked',
  'running',
  'done',
  'failed',
  'stopped',
];

/** Restart-loop state: who owns the loop and how far it got, so another process can adopt it. */
export interface TaskLoopState {
  status: LoopStatus;
  owner_pid: number;
  owner_host: string;
  owner_started_at: string;
  agent: string;
  /** Runs started so far by this loop (0 before the first). */
  attempt: number;
  restarts: number;
  /** Consecutive retries after retriable failures. */
  retries: number;
  max_restarts: number;
  /** The loop's exit code once it ended (-1 while active). */
  exit_code: number;
  updated_at: string;
  error_summary?: string;
  // ---- what an adopter needs to continue the loop the same way ----
  current_run_id?: string;
  restart_delay_ms?: number;
  max_retries?: number;
  retry_base_delay_ms?: number;
  depends_on?: string[];
}

const KEY_ORDER: readonly (keyof TaskLoopState)[] = [
  'status',
  'owner_pid',
  'owner_host',
  'owner_started_at',
  'agent',
  'attempt',
  'restarts',
  'retries',
  'max_restarts',
  'exit_code',
  'updated_at',
  'error_summary',
  'current_run_id',
  'restart_delay_ms',
  'max_retries',
  'retry_base_delay_ms',
  'depends_on',
];

const loopStateSchema = lazySchema((z) => {
  const int = z.pipe(
    z.transform((v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v)),
    z.int(),
  );
  const text = z.pipe(
    z.transform((v: unknown) => (v === null || v === undefined ? '' : String(v as string))),
    z.string(),
  );
  const optional = <T extends Parameters<typeof z.optional>[0]>(schema: T) =>
    z.catch(z.optional(schema), undefined);
  return z.object({
    status: z.enum(['queued', 'blocked', 'running', 'done', 'failed', 'stopped']),
    owner_pid: z.catch(int, 0),
    owner_host: z.catch(text, ''),
    owner_started_at: z.catch(text, ''),
    agent: z.catch(text, ''),
    attempt: z.catch(int, 0),
    restarts: z.catch(int, 0),
    retries: z.catch(int, 0),
    max_restarts: z.catch(int, 0),
    exit_code: z.catch(int, -1),
    updated_at: z.catch(text, ''),
    error_summary: optional(z.string()),
    current_run_id: optional(z.string()),
    restart_delay_ms: optional(int),
    max_retries: optional(int),
    retry_base_delay_ms: optional(int),
    depends_on: optional(z.array(z.string())),
  });
});

export function formatLoopState(state: TaskLoopState): string {
  const lines: string[] = [];
  for (const key of KEY_ORDER) {
    const value = state[key];
    if (value === undefined) continue;
    if (value === '' && (key === 'error_summary' || key === 'current_run_id')) continue;
    lines.push(yamlField(key, value));
  }
  return `${lines.join('\n')}\n`;
}

/** The loop state, or undefined when the task never had a loop (or the file is unreadable). */
export function readLoopState(taskDir: string): TaskLoopState | undefined {
  const body = readTextIfExists(join(taskDir, FILES.taskLoop));
  if (body === undefined) return undefined;
  let raw: unknown;
  try {
    raw = parseYaml(body);
  } catch {
    return undefined;
  }
  const parsed = loopStateSchema().safeParse(raw);
  if (!parsed.success) return undefined;
  const state: TaskLoopState = { ...parsed.data };
  for (const key of Object.keys(state) as (keyof TaskLoopState)[]) {
    if (state[key] === undefined) delete state[key];
  }
  return state;
}

export function writeLoopState(taskDir: string, state: TaskLoopState): void {
  ensureTaskDir(taskDir);
  writeFileAtomicSync(join(taskDir, FILES.taskLoop), formatLoopState(state));
}

/** A fresh state owned by this process. */
export function newLoopState(fields: Partial<TaskLoopState> & { agent: string }): TaskLoopState {
  const now = formatPreciseTimestamp();
  return {
    status: 'queued',
    owner_pid: process.pid,
    owner_host: hostname(),
    owner_started_at: now,
    attempt: 0,
    restarts: 0,
    retries: 0,
    max_restarts: 100,
    exit_code: -1,
    updated_at: now,
    ...fields,
  };
}

export function isActiveLoopStatus(status: LoopStatus): boolean {
  return status === 'queued' || status === 'blocked' || status === 'running';
}

/**
 * True when the loop's owner process is still alive on this host. A loop owned by another
 * host is assumed alive (we cannot check it).
 */
export function isLoopOwnerAlive(state: TaskLoopState): boolean {
  if (state.owner_host !== '' && state.owner_host !== hostname()) return true;
  if (state.owner_pid <= 0) return false;
  try {
    process.kill(state.owner_pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

/** How many run folders with the greatest names touchDir compares against. */
const TOUCH_RECENT_SIBLINGS = 8;

/**
 * Touch a folder's mtime so `ls -t` lists it first among its siblings (the seed picks the
 * newest run with `ls -t runs/<p>/<t>/ | head -1`). File mtimes have nanosecond precision and
 * utimes here milliseconds, so the new time is set past the newest sibling, not just "now".
 * Only siblings that can be that recent are looked at: the files, and the folders with the
 * greatest names (run ids sort by start time), so a task with 10,000 runs costs no 10,000 stats.
 */
export function touchDir(path: string): void {
  let newestMs = Date.now();
  const parent = dirname(path);
  const self = basename(path);
  try {
    const entries = readdirSync(parent, { withFileTypes: true }).filter((e) => e.name !== self);
    const files = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
    const latestDirs = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
      .slice(-TOUCH_RECENT_SIBLINGS);
    for (const name of [...files, ...latestDirs]) {
      const mtimeMs = Number(statSync(join(parent, name), { bigint: true }).mtimeNs / 1_000_000n);
      if (mtimeMs + 1 > newestMs) newestMs = mtimeMs + 1;
    }
  } catch {
    // a sibling vanished meanwhile; "now" is still a fine answer
  }
  // Mid-millisecond: seconds as a double are only exact to ~0.25 us, and truncating a time
  // just below the intended millisecond would tie with the sibling we mean to pass.
  const seconds = (newestMs + 0.5) / 1000;
  try {
    utimesSync(path, seconds, seconds);
  } catch {
    // the folder may have been deleted meanwhile; nothing to list then
  }
}
