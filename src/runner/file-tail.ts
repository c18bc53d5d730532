/** Bounded reads of run files: logs can be large, summaries and reports need only the end. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `maxBytes` of a file as UTF-8 ('' when missing). */
export function readTail(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    let text = buffer.subarray(0, read).toString('utf8');
    // Cut a partial first line (and a split UTF-8 sequence with it) when we started mid-file.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The last `count` lines of `text` (a trailing newline does not count as a line). */
export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-count).join('\n');
}
