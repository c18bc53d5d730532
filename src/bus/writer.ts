/**
 * Appending to a bus file (compat.md §3 "Locking"): open O_WRONLY|O_APPEND|O_CREAT (0644,
 * never through a symlink), exclusive flock on the bus file itself, one write() of the
 * whole batch, unlock. A batch costs one lock round-trip however many messages it holds.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  write,
  writeSync,
} from 'node:fs';
import {
  errnoCode,
  fsError,
  isConductorError,
  ValidationError,
  type ConductorError,
} from '../core/errors.js';
import { lockAsync, lockSync, unlock } from '../core/flock.js';
import { assertSafeId, formatPreciseTimestamp, generateMsgId, preciseNow } from '../core/ids.js';
import { formatRecords, type BusLink, type BusMessage, type BusParent } from './record.js';
import { archiveLocked } from './rotate.js';

/** What a caller supplies; msg_id and ts are assigned at append time. */
export interface MessageDraft {
  type?: string;
  project_id: string;
  task_id?: string;
  run_id?: string;
  issue_id?: string;
  parents?: BusParent[];
  links?: BusLink[];
  meta?: Record<string, string>;
  body: string;
}

export interface AppendOptions {
  /** Largest body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** fsync after the write (default false, as the reference). */
  fsync?: boolean;
  /** Per-attempt lock wait (default 10 s). */
  lockTimeoutMs?: number;
  /** Lock attempts before giving up (default 3, backoff 100 ms·2^(n-1)). */
  lockAttempts?: number;
  /** Rotate the file first when it already holds at least this many bytes (default: off). */
  rotateAtBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const TYPE_PATTERN = /^[A-Za-z0-9_./-]{1,64}$/;

/** Check drafts before touching the file: the bus stays unchanged when any is bad. */
export function validateDrafts(drafts: readonly MessageDraft[], options: AppendOptions = {}): void {
  if (drafts.length === 0) throw new ValidationError('nothing to post: no messages given');
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  for (const draft of drafts) {
    if (draft.body.trim() === '') throw new ValidationError('message body must not be empty');
    const size = Buffer.byteLength(draft.body);
    if (size > maxBody) {
      throw new ValidationError(
        `message body is too large: ${size} bytes (limit ${maxBody} bytes)`,
      );
    }
    const type = draft.type ?? 'INFO';
    if (!TYPE_PATTERN.test(type)) {
      throw new ValidationError(
        `invalid message type ${JSON.stringify(type.slice(0, 70))}: use 1-64 letters, digits, '_', '-', '.', '/'`,
      );
    }
    if (draft.project_id === '') throw new ValidationError('project id is required');
    assertSafeId('project id', draft.project_id);
    if (draft.task_id) assertSafeId('task id', draft.task_id);
    if (draft.run_id) assertSafeId('run id', draft.run_id);
  }
}

function stamp(draft: MessageDraft): BusMessage {
  const time = preciseNow();
  const msgId = generateMsgId(time);
  const type = draft.type ?? 'INFO';
  const message: BusMessage = {
    msg_id: msgId,
    ts: formatPreciseTimestamp(time),
    type,
    project_id: draft.project_id,
    task_id: draft.task_id ?? '',
    run_id: draft.run_id ?? '',
    body: draft.body,
  };
  const issueId = draft.issue_id ?? (type === 'ISSUE' ? msgId : undefined);
  if (issueId) message.issue_id = issueId;
  if (draft.parents?.length) message.parents = draft.parents;
  if (draft.links?.length) message.links = draft.links;
  if (draft.meta && Object.keys(draft.meta).length > 0) message.meta = draft.meta;
  return message;
}

// O_NONBLOCK keeps open() from hanging on a FIFO planted at the bus path; regular files ignore it.
const OPEN_EXISTING =
  constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_NEW = OPEN_EXISTING | constants.O_CREAT | constants.O_EXCL;

function openBus(path: string): number {
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, OPEN_EXISTING);
    } catch (error) {
      if (errnoCode(error) === 'ELOOP') throw notRegular(path, 'a symlink');
      if (errnoCode(error) !== 'ENOENT') throw fsError('open message bus', path, error);
      try {
        fd = openSync(path, OPEN_NEW, 0o644);
        // The umask may have narrowed the mode; bus files are 0644 like the reference's.
        fchmodSync(fd, 0o644);
      } catch (createError) {
        if (errnoCode(createError) === 'EEXIST') continue; // another writer created it first
        throw fsError('create message bus', path, createError);
      }
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw notRegular(path, 'not a regular file');
    }
    return fd;
  }
}

function notRegular(path: string, what: string): ValidationError {
  return new ValidationError(`refusing to write message bus ${path}: it is ${what}`);
}

function isLockTimeout(error: unknown): error is ConductorError {
  return isConductorError(error) && error.code === 'LOCK_TIMEOUT';
}

/**
 * After taking the lock: is `fd` still the file at `path`? A rotation (or deletion) while we
 * waited means appending here would write into an archive nobody reads any more.
 */
function isCurrent(path: string, fd: number): boolean {
  try {
    const atPath = lstatSync(path);
    const held = fstatSync(fd);
    return atPath.ino === held.ino && atPath.dev === held.dev;
  } catch {
    return false;
  }
}

type Step = { kind: 'write'; size: number } | { kind: 'reopen' };

/** With the lock held: decide whether to write here or rotate/reopen first. */
function checkLocked(path: string, fd: number, options: AppendOptions): Step {
  if (!isCurrent(path, fd)) return { kind: 'reopen' };
  const size = fstatSync(fd).size;
  if (options.rotateAtBytes !== undefined && size > 0 && size >= options.rotateAtBytes) {
    archiveLocked(path);
    return { kind: 'reopen' };
  }
  return { kind: 'write', size };
}

function encode(
  drafts: readonly MessageDraft[],
  size: number,
): {
  messages: BusMessage[];
  data: Buffer;
} {
  const messages = drafts.map(stamp);
  return { messages, data: Buffer.from(formatRecords(messages, size)) };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing useful to do; the data was written or the error is already on its way
  }
}

const MAX_REOPENS = 1000;

/** Append drafts as one locked write; returns the stored messages (with msg_id and ts). */
export function appendMessagesSync(
  path: string,
  drafts: readonly MessageDraft[],
  options: AppendOptions = {},
): BusMessage[] {
  validateDrafts(drafts, options);
  const attempts = options.lockAttempts ?? 3;
  for (let reopen = 0; reopen < MAX_REOPENS; reopen++) {
    const fd = openBus(path);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          lockSync(fd, { timeoutMs: options.lockTimeoutMs ?? 10_000, what: path });
          break;
        } catch (error) {
          if (!isLockTimeout(error) || attempt >= attempts) throw error;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * 2 ** (attempt - 1));
        }
      }
      try {
        const step = checkLocked(path, fd, options);
        if (step.kind === 'reopen') continue;
        const { messages, data } = encode(drafts, step.size);
        try {
          let offset = 0;
          while (offset < data.length) offset += writeSync(fd, data, offset);
          if (options.fsync) fsyncSync(fd);
        } catch (error) {
          throw fsError('append to message bus', path, error);
        }
        return messages;
      } finally {
        unlock(fd);
      }
    } finally {
      closeQuietly(fd);
    }
  }
  throw new ValidationError(`message bus ${path} keeps being replaced; giving up`);
}

export function appendMessageSync(
  path: string,
  draft: MessageDraft,
  options?: AppendOptions,
): BusMessage {
  return appendMessagesSync(path, [draft], options)[0]!;
}

function writeAsync(fd: number, data: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) reject(error);
      else resolve(written);
    });
  });
}

/** As appendMessagesSync, but waits for the lock (and writes) without blocking the event loop. */
export async function appendMessages(
  path: string,
  drafts: readonly MessageDraft[],
  options: AppendOptions = {},
): Promise<BusMessage[]> {
  validateDrafts(drafts, options);
  const attempts = options.lockAttempts ?? 3;
  for (let reopen = 0; reopen < MAX_REOPENS; reopen++) {
    const fd = openBus(path);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await lockAsync(fd, { timeoutMs: options.lockTimeoutMs ?? 10_000, what: path });
          break;
        } catch (error) {
          if (!isLockTimeout(error) || attempt >= attempts) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
        }
      }
      try {
        const step = checkLocked(path, fd, options);
        if (step.kind === 'reopen') continue;
        const { messages, data } = encode(drafts, step.size);
        try {
          let offset = 0;
          while (offset < data.length) offset += await writeAsync(fd, data, offset);
          if (options.fsync) fsyncSync(fd);
        } catch (error) {
          throw fsError('append to message bus', path, error);
        }
        return messages;
      } finally {
        unlock(fd);
      }
    } finally {
      closeQuietly(fd);
    }
  }
  throw new ValidationError(`message bus ${path} keeps being replaced; giving up`);
}

export async function appendMessage(
  path: string,
  draft: MessageDraft,
  options?: AppendOptions,
): Promise<BusMessage> {
  return (await appendMessages(path, [draft], options))[0]!;
}
