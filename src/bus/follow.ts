/**
 * Following a bus as it grows: an async iterator of messages in file order, woken by
 * fs.watch on the bus's folder with a polling fallback (200 ms, as the reference's CLI).
 *
 * Two hazards shape the loop:
 * - A reader can observe a write half done (the kernel grows the file page by page), so a
 *   trailing record that is not yet closed by the next `---` is only emitted after the file
 *   stopped growing for `settleMs`.
 * - Rotation renames the file under the bus lock. We keep the old fd, drain it, then read
 *   every archive made after it (names sort in rotation order) and finally the new file,
 *   so nothing is lost or read twice.
 */
import { watch, type FSWatcher } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { errnoCode, fsError, NotFoundError } from '../core/errors.js';
import { parseBusText, type BusMessage } from './record.js';
import { indexAfter, matchesFilter, tailStartOffset, type MessageFilter } from './reader.js';
import { listArchives } from './rotate.js';

export type FollowStart =
  'start' | 'end' | { offset: number } | { tail: number } | { afterMsgId: string };

export interface FollowOptions {
  /** Where to begin (default 'end': only new messages). */
  start?: FollowStart;
  signal?: AbortSignal;
  /** Polling interval when no watch event arrives (default 200 ms). */
  pollIntervalMs?: number;
  /** Quiet time before an open trailing record is trusted to be complete (default 25 ms). */
  settleMs?: number;
  filter?: MessageFilter;
}

const READ_CHUNK = 1024 * 1024;

/** Wakes the follower on folder changes, a timer, or abort. */
class Waker {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private dirty = false;

  constructor(
    dir: string,
    private readonly names: (name: string) => boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || this.names(name.toString())) this.poke();
      });
      // A broken watch (folder removed, inotify limit) leaves us with polling.
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = undefined;
    }
    signal?.addEventListener('abort', this.poke, { once: true });
  }

  private readonly poke = (): void => {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  /** Resolve on the next change, after `ms`, or on abort. */
  async wait(ms: number): Promise<void> {
    if (this.dirty || this.signal?.aborted) {
      this.dirty = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.dirty = false;
  }

  private closeWatcher(): void {
    try {
      this.watcher?.close();
    } catch {
      // already closed
    }
    this.watcher = undefined;
  }

  close(): void {
    this.closeWatcher();
    this.signal?.removeEventListener('abort', this.poke);
  }
}

interface Cursor {
  fd: number;
  ino: number;
  dev: number;
  position: number;
  pending: string;
  line: number;
  decoder: StringDecoder;
  /** When the file last grew (ms); trailing records wait for quiet. */
  grewAt: number;
}

function openCursor(path: string): Cursor | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw fsError('read message bus', path, error);
  }
  const st = fstatSync(fd);
  return {
    fd,
    ino: st.ino,
    dev: st.dev,
    position: 0,
    pending: '',
    line: 1,
    decoder: new StringDecoder('utf8'),
    grewAt: Date.now(),
  };
}

/** Read everything appended since the cursor's position; true when anything arrived. */
function pull(cursor: Cursor): boolean {
  // Truncated in place (same inode, now shorter): start over from its new beginning.
  if (fstatSync(cursor.fd).size < cursor.position) {
    cursor.position = 0;
    cursor.pending = '';
    cursor.line = 1;
    cursor.decoder = new StringDecoder('utf8');
  }
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  let grew = false;
  for (;;) {
    const n = readSync(cursor.fd, buffer, 0, READ_CHUNK, cursor.position);
    if (n === 0) break;
    cursor.position += n;
    cursor.pending += cursor.decoder.write(buffer.subarray(0, n));
    grew = true;
  }
  if (grew) cursor.grewAt = Date.now();
  return grew;
}

/** Complete records in the cursor's pending text; `final` also takes a trailing one. */
function take(cursor: Cursor, final: boolean): BusMessage[] {
  if (cursor.pending === '') return [];
  const parsed = parseBusText(cursor.pending, { final, firstLine: cursor.line });
  cursor.pending = cursor.pending.slice(parsed.rest);
  cursor.line = parsed.restLine;
  return parsed.messages;
}

function countLines(fd: number, end: number): number {
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  let lines = 0;
  for (let position = 0; position < end;) {
    const n = readSync(fd, buffer, 0, Math.min(READ_CHUNK, end - position), position);
    if (n === 0) break;
    for (let i = buffer.indexOf(10, 0); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
    position += n;
  }
  return lines;
}

function readRange(fd: number, from: number, to: number): Buffer {
  const data = Buffer.allocUnsafe(Math.max(0, to - from));
  let got = 0;
  while (got < data.length) {
    const n = readSync(fd, data, got, data.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return data.subarray(0, got);
}

/**
 * Byte offset where following starts: the first of the last `tail` messages (counted after
 * the filter, as `bus read` counts them), or the record after a msg_id.
 */
function startOffset(fd: number, start: FollowStart, filter: MessageFilter | undefined): number {
  const size = fstatSync(fd).size;
  if (start === 'start') return 0;
  if (start === 'end') return size;
  if ('offset' in start) return Math.min(Math.max(0, start.offset), size);
  let from = 0;
  if ('tail' in start) {
    if (start.tail <= 0) return size;
    // Unfiltered, the tail is found from the end; filtered, we need the whole file.
    if (filter === undefined) from = tailStartOffset(fd, size, start.tail + 1);
  }
  const text = readRange(fd, from, size).toString('utf8');
  const parsed = parseBusText(text);
  let next: number;
  if ('tail' in start) {
    const candidates =
      filter === undefined
        ? parsed.messages.map((_, i) => i)
        : parsed.messages.flatMap((m, i) => (matchesFilter(m, filter) ? [i] : []));
    next =
      candidates.length > start.tail
        ? candidates[candidates.length - start.tail]!
        : (candidates[0] ?? parsed.messages.length);
  } else {
    next = indexAfter(parsed.messages, start.afterMsgId);
  }
  const charAt = next < parsed.starts.length ? parsed.starts[next]! : parsed.rest;
  return from + Buffer.byteLength(text.slice(0, charAt));
}

function sameFile(path: string, cursor: Cursor): boolean {
  try {
    const st = lstatSync(path);
    return st.ino === cursor.ino && st.dev === cursor.dev;
  } catch {
    return false;
  }
}

/** What we have read up to: a file (by inode), or, before any, the archives that already existed. */
type Anchor = { ino: number; dev: number } | { known: Set<string> };

/** Archives made after the anchor, oldest first, minus those already read. */
function archivesSince(path: string, anchor: Anchor, seen: Set<string>): string[] {
  const archives = listArchives(path);
  if ('known' in anchor) return archives.filter((a) => !anchor.known.has(a) && !seen.has(a));
  let index = -1;
  for (let i = archives.length - 1; i >= 0; i--) {
    try {
      const st = statSync(archives[i]!);
      if (st.ino === anchor.ino && st.dev === anchor.dev) {
        index = i;
        break;
      }
    } catch {
      // removed meanwhile
    }
  }
  if (index === -1) return [];
  return archives.slice(index + 1).filter((a) => !seen.has(a));
}

interface FollowContext {
  keep: (m: BusMessage) => boolean;
  waker: Waker;
  pollMs: number;
  signal: AbortSignal | undefined;
}

/**
 * Read every archive made after `anchor`, then open the live file (waiting for it to
 * exist). Returns the live cursor, or undefined when aborted.
 */
async function* catchUp(
  path: string,
  start: Anchor,
  ctx: FollowContext,
): AsyncGenerator<BusMessage, Cursor | undefined, undefined> {
  let anchor = start;
  const seen = new Set<string>();
  for (;;) {
    const archive = archivesSince(path, anchor, seen)[0];
    if (archive !== undefined) {
      seen.add(archive);
      const archived = openCursor(archive);
      if (archived === undefined) continue;
      try {
        pull(archived);
        for (const m of take(archived, true)) if (ctx.keep(m)) yield m;
        anchor = { ino: archived.ino, dev: archived.dev };
      } finally {
        closeSync(archived.fd);
      }
      continue;
    }
    const live = openCursor(path);
    if (live === undefined) {
      if (ctx.signal?.aborted) return undefined;
      await ctx.waker.wait(ctx.pollMs);
      continue;
    }
    // A rotation between the listing and the open would hide an archive: look again.
    if (archivesSince(path, anchor, seen).length > 0) {
      closeSync(live.fd);
      continue;
    }
    return live;
  }
}

/**
 * Messages appended to `path`, in order, until `signal` aborts. A missing file is waited
 * for (and read from its beginning). With `{ afterMsgId }` an unknown id throws
 * NotFoundError ("since id not found").
 */
export async function* followBus(
  path: string,
  options: FollowOptions = {},
): AsyncGenerator<BusMessage, void, undefined> {
  const { signal, filter } = options;
  const pollMs = options.pollIntervalMs ?? 200;
  const settleMs = options.settleMs ?? 25;
  const base = basename(path);
  const waker = new Waker(dirname(path), (name) => name.startsWith(base), signal);
  const keep = (m: BusMessage): boolean => filter === undefined || matchesFilter(m, filter);
  const ctx: FollowContext = { keep, waker, pollMs, signal };
  let cursor: Cursor | undefined;
  try {
    // Listed before the first open, so a rotation in between cannot slip past us.
    const known = new Set(listArchives(path));
    cursor = openCursor(path);
    if (cursor === undefined) {
      const start = options.start;
      if (typeof start === 'object' && 'afterMsgId' in start) {
        throw new NotFoundError(`message bus not found: ${path}`);
      }
      cursor = yield* catchUp(path, { known }, ctx);
      if (cursor === undefined) return;
    } else {
      cursor.position = startOffset(cursor.fd, options.start ?? 'end', filter);
      if (cursor.position > 0) cursor.line = countLines(cursor.fd, cursor.position) + 1;
    }

    while (!signal?.aborted) {
      pull(cursor);
      for (const m of take(cursor, false)) if (keep(m)) yield m;
      if (signal?.aborted) return;

      if (!sameFile(path, cursor)) {
        // Rotated or removed: nobody appends to our inode any more, so drain it fully,
        // then read the archives made after it, then the new live file.
        pull(cursor);
        for (const m of take(cursor, true)) if (keep(m)) yield m;
        const anchor: Anchor = { ino: cursor.ino, dev: cursor.dev };
        closeSync(cursor.fd);
        cursor = undefined;
        cursor = yield* catchUp(path, anchor, ctx);
        if (cursor === undefined) return;
        continue;
      }

      if (cursor.pending !== '' && cursor.pending.endsWith('\n')) {
        // An open trailing record: trust it once the file has been quiet for settleMs.
        const quietFor = Date.now() - cursor.grewAt;
        if (quietFor < settleMs) {
          await waker.wait(Math.max(1, settleMs - quietFor));
          continue;
        }
        if (pull(cursor)) continue;
        for (const m of take(cursor, true)) if (keep(m)) yield m;
        if (cursor.pending === '') continue;
      }
      await waker.wait(pollMs);
    }
  } finally {
    waker.close();
    if (cursor !== undefined) closeSync(cursor.fd);
  }
}
