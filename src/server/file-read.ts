/** Byte-range reads of run files (tail, offset/limit, HTTP Range) without loading whole files. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { errnoCode } from '../core/errors.js';
import { HttpError } from './http-errors.js';

export const MAX_READ_BYTES = 16 * 1024 * 1024;

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface FileChunk {
  data: Buffer;
  size: number;
  start: number;
}

/** Read `[start, end)` clipped to the file; undefined when the file does not exist. */
export function readRange(path: string, pick: (size: number) => ByteRange): FileChunk | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const range = pick(size);
    const start = Math.min(Math.max(0, range.start), size);
    const end = Math.min(Math.max(start, range.end), size, start + MAX_READ_BYTES);
    const data = Buffer.alloc(end - start);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return { data: data.subarray(0, read), size, start };
  } finally {
    closeSync(fd);
  }
}

/** Parse a single `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` header against a file size. */
export function parseRangeHeader(header: string, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) {
    throw new HttpError(
      416,
      'RANGE_NOT_SATISFIABLE',
      `unsupported Range header: ${header.slice(0, 100)}`,
    );
  }
  if (m[1] === '') return { start: Math.max(0, size - Number(m[2])), end: size };
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Number(m[2]) + 1;
  if (start >= size && size > 0) {
    throw new HttpError(416, 'RANGE_NOT_SATISFIABLE', `range starts beyond the file size ${size}`, {
      'content-range': `bytes */${size}`,
    });
  }
  return { start, end };
}

/** Largest prefix of `buf` that ends on a UTF-8 character boundary. */
export function utf8Boundary(buf: Buffer): number {
  let end = buf.length;
  // Walk back over at most 3 continuation bytes to the start of the last character.
  let i = end - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 4 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return 0;
  const lead = buf[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (end - i < need) end = i;
  return end;
}
