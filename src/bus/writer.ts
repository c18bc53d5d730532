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
  ftruncateSync,
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

type Step = { kind: 'write'; size: number } | { kind: 'reopen' };

/**
 * With the lock held: write here, or reopen first because the file at `path` is no longer
 * ours (rotated or deleted while we waited: appending would land in an archive nobody
 * reads), or because it reached the rotation size and we just archived it.
 */
function checkLocked(path: string, fd: number, options: AppendOptions): Step {
  const held = fstatSync(fd);
  try {
    const atPath = lstatSync(path);
    if (atPath.ino !== held.ino || atPath.dev !== held.dev) return { kind: 'reopen' };
  } catch {
    return { kind: 'reopen' };
  }
  if (options.rotateAtBytes !== undefined && held.size > 0 && held.size >= options.rotateAtBytes) {
    archiveLocked(path);
    return { kind: 'reopen' };
  }
  return { kind: 'write', size: held.size };
}

function encode(
  drafts: readonly MessageDraft[],
  size: number,
): { messages: BusMessage[]; data: Buffer } {
  const messages = drafts.map(stamp);
  return { messages, data: Buffer.from(formatRecords(messages, size)) };
}

/**
 * A write that failed part-way (ENOSPC, EIO) would leave half a record that the next
 * append turns into a corrupt message. Still holding the lock, cut the file back to
 * where this append started.
 */
function rollBack(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
  } catch {
    // the file stays as it is; readers already ignore an incomplete last record
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing useful to do; the data was written or the error is already on its way
  }
}

function writeAsync(fd: number, data: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) reject(error);
      else resolve(written);
    });
  });
}

const MAX_REOPENS = 1000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** A blocking step of an append; performed sync or async, it yields bytes written (else 0). */
type Effect =
  | { op: 'lock'; fd: number; timeoutMs: number; what: string }
  | { op: 'sleep'; ms: number }
  | { op: 'write'; fd: number; data: Buffer; offset: number };

function performSync(effect: Effect): number {
  switch (effect.op) {
    case 'lock':
      lockSync(effect.fd, { timeoutMs: effect.timeoutMs, what: effect.what });
      return 0;
    case 'sleep':
      Atomics.wait(sleepCell, 0, 0, effect.ms);
      return 0;
    case 'write':
      return writeSync(effect.fd, effect.data, effect.offset);
  }
}

async function performAsync(effect: Effect): Promise<number> {
  switch (effect.op) {
    case 'lock':
      await lockAsync(effect.fd, { timeoutMs: effect.timeoutMs, what: effect.what });
      return 0;
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, effect.ms));
      return 0;
    case 'write':
      return writeAsync(effect.fd, effect.data, effect.offset);
  }
}

/**
 * A writer for one bus file that keeps its descriptor open between appends (a long-lived
 * poster such as the runner saves the open/close per message). Every append still takes
 * the lock and re-checks, under it, that the descriptor is the file at `path`.
 */
export class BusWriter {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly options: AppendOptions = {},
  ) {}

  /** Append drafts as one locked write; returns the stored messages (with msg_id and ts). */
  appendSync(drafts: readonly MessageDraft[]): BusMessage[] {
    const steps = this.appendSteps(drafts);
    let next = steps.next(0);
    while (!next.done) {
      let result: number;
      try {
        result = performSync(next.value);
      } catch (error) {
        next = steps.throw(error);
        continue;
      }
      next = steps.next(result);
    }
    return next.value;
  }

  /** As appendSync, but waits for the lock (and writes) without blocking the event loop. */
  async append(drafts: readonly MessageDraft[]): Promise<BusMessage[]> {
    const steps = this.appendSteps(drafts);
    let next = steps.next(0);
    while (!next.done) {
      let result: number;
      try {
        result = await performAsync(next.value);
      } catch (error) {
        next = steps.throw(error);
        continue;
      }
      next = steps.next(result);
    }
    return next.value;
  }

  /**
   * The one append procedure, shared by appendSync and append: it yields each blocking
   * step (lock, back-off sleep, write) for the caller to perform sync or async, and gets
   * the step's result (bytes written) or its error back.
   */
  private *appendSteps(drafts: readonly MessageDraft[]): Generator<Effect, BusMessage[], number> {
    validateDrafts(drafts, this.options);
    const attempts = this.options.lockAttempts ?? 3;
    const timeoutMs = this.options.lockTimeoutMs ?? 10_000;
    for (let reopen = 0; reopen < MAX_REOPENS; reopen++) {
      const fd = (this.fd ??= openBus(this.path));
      for (let attempt = 1; ; attempt++) {
        try {
          yield { op: 'lock', fd, timeoutMs, what: this.path };
          break;
        } catch (error) {
          if (!isLockTimeout(error) || attempt >= attempts) throw this.fail(error);
          yield { op: 'sleep', ms: 100 * 2 ** (attempt - 1) };
        }
      }
      try {
        const step = checkLocked(this.path, fd, this.options);
        if (step.kind === 'reopen') {
          this.close();
          continue;
        }
        const { messages, data } = encode(drafts, step.size);
        try {
          let offset = 0;
          while (offset < data.length) offset += yield { op: 'write', fd, data, offset };
        } catch (error) {
          rollBack(fd, step.size);
          throw error;
        }
        if (this.options.fsync) fsyncSync(fd);
        return messages;
      } catch (error) {
        throw this.fail(error);
      } finally {
        if (this.fd === fd) unlock(fd);
      }
    }
    throw new ValidationError(`message bus ${this.path} keeps being replaced; giving up`);
  }

  close(): void {
    if (this.fd !== undefined) closeQuietly(this.fd); // closing also drops any lock we held
    this.fd = undefined;
  }

  /** After a failure the descriptor is suspect: drop it and classify the error. */
  private fail(error: unknown): unknown {
    this.close();
    return isConductorError(error) ? error : fsError('append to message bus', this.path, error);
  }
}

/** Append drafts to `path` as one locked write; returns the stored messages. */
export function appendMessagesSync(
  path: string,
  drafts: readonly MessageDraft[],
  options: AppendOptions = {},
): BusMessage[] {
  const writer = new BusWriter(path, options);
  try {
    return writer.appendSync(drafts);
  } finally {
    writer.close();
  }
}

export function appendMessageSync(
  path: string,
  draft: MessageDraft,
  options?: AppendOptions,
): BusMessage {
  return appendMessagesSync(path, [draft], options)[0]!;
}

/** As appendMessagesSync, without blocking the event loop while waiting for the lock. */
export async function appendMessages(
  path: string,
  drafts: readonly MessageDraft[],
  options: AppendOptions = {},
): Promise<BusMessage[]> {
  const writer = new BusWriter(path, options);
  try {
    return await writer.append(drafts);
  } finally {
    writer.close();
  }
}

export async function appendMessage(
  path: string,
  draft: MessageDraft,
  options?: AppendOptions,
): Promise<BusMessage> {
  return (await appendMessages(path, [draft], options))[0]!;
}
