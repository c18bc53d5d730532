/**
 * Identifier formats (compat.md §1 "ID formats", with §0's relaxation): generation and
 * validation. Every id that becomes a path component passes through here, so this is
 * the one place that keeps requests and CLI arguments inside the runs root.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ProjectId = Brand<string, 'ProjectId'>;
export type TaskId = Brand<string, 'TaskId'>;
export type RunId = Brand<string, 'RunId'>;
export type MsgId = Brand<string, 'MsgId'>;

export const MAX_ID_LENGTH = 128;
/** Letters, digits, '-', '_', '.'; not starting with '.'; at most 128 chars (compat §0). */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** Reference task-id format, generated when the user gives none. */
export const REFERENCE_TASK_ID = /^task-\d{8}-\d{6}-[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;
/** Run folders: `YYYYMMDD-HHMMSSffff-<pid>-<seq>` with an optional `-<suffix>` after a collision. */
export const RUN_ID_PATTERN = /^\d{8}-\d{10}-\d+-\d+(?:-[A-Za-z0-9]+)?$/;
export const MSG_ID_PATTERN = /^(?:MSG-\d{8}-\d{6}-\d{9}-PID\d{5}-\d{4}|LEGACY-LINE-\d{9})$/;

export type IdKind = 'project id' | 'task id' | 'run id' | 'message id' | 'agent name';

/** Why `value` is not a safe id, or undefined when it is. */
export function safeIdProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ID_LENGTH)
    return `must be at most ${MAX_ID_LENGTH} characters (got ${value.length})`;
  if (value.includes('\0')) return 'must not contain NUL';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (value.includes('/') || value.includes('\\'))
    return "must not contain '/' or '\\' (it would leave the runs root)";
  if (value === '.' || value === '..') return 'must not be "." or ".."';
  if (value.startsWith('.')) return "must not start with '.'";
  if (/\s/.test(value)) return 'must not contain spaces';
  if (!SAFE_ID.test(value)) return "may only contain letters, digits, '-', '_' and '.'";
  return undefined;
}

function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(shown);
}

/** Throw a ValidationError naming the kind of id and the rule it breaks. */
export function assertSafeId(kind: IdKind, value: string): void {
  const problem = safeIdProblem(value);
  if (problem !== undefined) {
    throw new ValidationError(`invalid ${kind} ${quote(value)}: ${problem}`, {
      details: { kind, value },
    });
  }
}

export function parseProjectId(value: string): ProjectId {
  assertSafeId('project id', value);
  return value as ProjectId;
}

export function parseTaskId(value: string): TaskId {
  assertSafeId('task id', value);
  return value as TaskId;
}

export function parseRunId(value: string): RunId {
  assertSafeId('run id', value);
  return value as RunId;
}

export function parseMsgId(value: string): MsgId {
  assertSafeId('message id', value);
  return value as MsgId;
}

export function isSafeId(value: string): boolean {
  return safeIdProblem(value) === undefined;
}

// ---- generation -------------------------------------------------------------------------

function pad(n: number | bigint, width: number): string {
  return n.toString().padStart(width, '0');
}

/** `YYYYMMDD` and `HHMMSS` of a date in UTC. */
export function utcStamp(date: Date): { day: string; time: string } {
  return {
    day: `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}`,
    time: `${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}`,
  };
}

/**
 * Wall-clock time with nanosecond digits: Date gives milliseconds, hrtime supplies the
 * sub-millisecond part so ids and timestamps taken in one process keep increasing.
 */
export interface PreciseTime {
  date: Date;
  /** Nanoseconds within the current second, 0..999_999_999. */
  nanos: number;
}

const hrtimeAnchor = process.hrtime.bigint();
const wallAnchorMs = Date.now();
let lastNanosSinceEpoch = 0n;

export function preciseNow(): PreciseTime {
  let nanosSinceEpoch =
    BigInt(wallAnchorMs) * 1_000_000n + (process.hrtime.bigint() - hrtimeAnchor);
  // Re-anchor if the wall clock moved away from the monotonic estimate by more than 1s.
  const wallNs = BigInt(Date.now()) * 1_000_000n;
  if (nanosSinceEpoch - wallNs > 1_000_000_000n || wallNs - nanosSinceEpoch > 1_000_000_000n) {
    nanosSinceEpoch = wallNs;
  }
  if (nanosSinceEpoch <= lastNanosSinceEpoch) nanosSinceEpoch = lastNanosSinceEpoch + 1n;
  lastNanosSinceEpoch = nanosSinceEpoch;
  const ms = Number(nanosSinceEpoch / 1_000_000n);
  return { date: new Date(ms), nanos: Number(nanosSinceEpoch % 1_000_000_000n) };
}

/** RFC3339 UTC timestamp with nanoseconds, as Go writes it: `2026-02-20T15:30:45.123456789Z`. */
export function formatPreciseTimestamp(time: PreciseTime = preciseNow()): string {
  const iso = time.date.toISOString(); // 2026-02-20T15:30:45.123Z
  return `${iso.slice(0, 19)}.${pad(time.nanos, 9)}Z`;
}

let runSeq = 0;
let msgSeq = 0;

/**
 * Run id `YYYYMMDD-HHMMSSffff-<pid>-<seq>`. The reference writes literal `0000` for the
 * four digits after the seconds; we put the 1/10000-second fraction there instead, which
 * keeps the format and makes run ids from different processes sort by start time.
 */
export function generateRunId(time: PreciseTime = preciseNow(), pid: number = process.pid): RunId {
  const { day, time: hms } = utcStamp(time.date);
  runSeq += 1;
  return `${day}-${hms}${pad(Math.floor(time.nanos / 100_000), 4)}-${pid}-${runSeq}` as RunId;
}

/** `MSG-YYYYMMDD-HHMMSS-<nanos9>-PID<pid%100000>-<seq%10000>` */
export function generateMsgId(time: PreciseTime = preciseNow(), pid: number = process.pid): MsgId {
  const { day, time: hms } = utcStamp(time.date);
  msgSeq += 1;
  return `MSG-${day}-${hms}-${pad(time.nanos, 9)}-PID${pad(pid % 100_000, 5)}-${pad(msgSeq % 10_000, 4)}` as MsgId;
}

export function legacyLineMsgId(lineNumber: number): MsgId {
  return `LEGACY-LINE-${pad(lineNumber, 9)}` as MsgId;
}

function randomSlug(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** Lower-case `[a-z0-9-]` slug of 3..50 chars derived from free text, or undefined. */
export function slugify(text: string): string | undefined {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  return slug.length >= 3 ? slug : undefined;
}

/** Reference-format task id `task-YYYYMMDD-HHMMSS-<slug>` (random 6-char slug if none fits). */
export function generateTaskId(hint?: string, date: Date = new Date()): TaskId {
  const { day, time } = utcStamp(date);
  const slug = (hint !== undefined ? slugify(hint) : undefined) ?? randomSlug(6);
  return `task-${day}-${time}-${slug}` as TaskId;
}

/** `req-<unixNanos>-<12 hex>` */
export function generateRequestId(): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return `req-${nanos}-${randomBytes(6).toString('hex')}`;
}
