/**
 * Reading a bus file: everything, the last N (read backwards in 64 KiB chunks), messages
 * strictly after a msg_id, filtered by type/task/run. Readers take no lock (compat.md §3):
 * appends are single writes and the parser ignores an incomplete last record.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { errnoCode, fsError, isConductorError, NotFoundError } from '../core/errors.js';
import { parseBusText, type BusMessage } from './record.js';

export interface MessageFilter {
  /** Keep only these types (case-insensitive). */
  types?: readonly string[];
  taskId?: string;
  runId?: string;
}

export interface ReadOptions extends MessageFilter {
  /** Only the last N messages (after filtering). 0 or undefined: all. */
  tail?: number;
  /** Only messages strictly after this msg_id; unknown id -> NotFoundError. */
  sinceId?: string;
}

export const TAIL_CHUNK_BYTES = 64 * 1024;

function busNotFound(path: string, cause: unknown): NotFoundError {
  return new NotFoundError(`message bus not found: ${path}`, { cause });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw busNotFound(path, error);
    throw fsError('read message bus', path, error);
  }
}

export function matchesFilter(message: BusMessage, filter: MessageFilter): boolean {
  if (filter.types && filter.types.length > 0) {
    const type = message.type.toUpperCase();
    if (!filter.types.some((t) => t.toUpperCase() === type)) return false;
  }
  if (filter.taskId !== undefined && message.task_id !== filter.taskId) return false;
  if (filter.runId !== undefined && message.run_id !== filter.runId) return false;
  return true;
}

function hasFilter(filter: MessageFilter): boolean {
  return (
    (filter.types !== undefined && filter.types.length > 0) ||
    filter.taskId !== undefined ||
    filter.runId !== undefined
  );
}

/** Index of the first message after `sinceId`; throws when the id is not in the list. */
export function indexAfter(messages: readonly BusMessage[], sinceId: string): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.msg_id === sinceId) return i + 1;
  }
  throw new NotFoundError(`since id not found: ${sinceId}`, { details: { since: sinceId } });
}

/** Apply since/filter/tail to parsed messages. */
export function selectMessages(messages: BusMessage[], options: ReadOptions): BusMessage[] {
  let out = messages;
  if (options.sinceId) out = out.slice(indexAfter(out, options.sinceId));
  if (hasFilter(options)) out = out.filter((m) => matchesFilter(m, options));
  if (options.tail !== undefined && options.tail > 0 && out.length > options.tail) {
    out = out.slice(out.length - options.tail);
  }
  return out;
}

/** Read a bus file (synchronously). A missing file is a NotFoundError naming the path. */
export function readBusSync(path: string, options: ReadOptions = {}): BusMessage[] {
  if (options.tail && options.tail > 0 && !options.sinceId && !hasFilter(options)) {
    return readTailSync(path, options.tail);
  }
  return selectMessages(parseBusText(readText(path)).messages, options);
}

/** Same as readBusSync; the whole-file read does not block the event loop. */
export async function readBus(path: string, options: ReadOptions = {}): Promise<BusMessage[]> {
  if (options.tail && options.tail > 0 && !options.sinceId && !hasFilter(options)) {
    return readTailSync(path, options.tail);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw busNotFound(path, error);
    throw fsError('read message bus', path, error);
  }
  return selectMessages(parseBusText(text).messages, options);
}

// Record openers as our writer and the reference's lay them out: a `---` line followed by msg_id.
const OPENER = Buffer.from('\n---\nmsg_id:');

/**
 * Byte offset where the `openers`-th record from the end starts, reading backwards in
 * 64 KiB chunks; 0 when the file holds fewer records.
 */
export function tailStartOffset(fd: number, size: number, openers: number): number {
  const chunks: Buffer[] = [];
  let position = size;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK_BYTES, position);
    position -= length;
    const chunk = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, chunk, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    chunks.unshift(chunk.subarray(0, got));
    const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    let found = 0;
    let end = buffer.length;
    while (end > 0) {
      const at = buffer.lastIndexOf(OPENER, end - 1);
      if (at === -1) break;
      if (++found >= openers) return position + at + 1;
      end = at;
    }
  }
  return 0;
}

function readRangeText(fd: number, from: number, to: number): string {
  const data = Buffer.allocUnsafe(to - from);
  let got = 0;
  while (got < data.length) {
    const n = readSync(fd, data, got, data.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  return data.subarray(0, got).toString('utf8');
}

/**
 * Last `count` messages without reading the whole file: find the start of the last
 * count+1 records (the newest may still be incomplete) and parse from there.
 */
export function readTailSync(path: string, count: number): BusMessage[] {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw busNotFound(path, error);
    throw fsError('read message bus', path, error);
  }
  try {
    const size = fstatSync(fd).size;
    const from = tailStartOffset(fd, size, count + 1);
    const parsed = parseBusText(readRangeText(fd, from, size)).messages;
    // Legacy ids are line numbers, unknown from the middle of the file: read it all.
    if (from > 0 && parsed.some((m) => m.msg_id.startsWith('LEGACY-LINE-'))) {
      return lastOf(parseBusText(readRangeText(fd, 0, size)).messages, count);
    }
    return lastOf(parsed, count);
  } catch (error) {
    if (isConductorError(error)) throw error;
    throw fsError('read message bus', path, error);
  } finally {
    closeSync(fd);
  }
}

function lastOf(messages: BusMessage[], count: number): BusMessage[] {
  return messages.length > count ? messages.slice(messages.length - count) : messages;
}
