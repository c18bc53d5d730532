/**
 * Crash-safe whole-file writes: temp file in the same folder -> write -> fsync -> chmod ->
 * rename over the target. A reader sees the old file or the new one, never half of one.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  fchmodSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsError } from './errors.js';

export interface AtomicWriteOptions {
  mode?: number;
  /** fsync the data before the rename (default true). */
  fsync?: boolean;
}

/** Temp name pattern `<base>.<random>.tmp`, e.g. `run-info.3f9a1c.yaml.tmp` for run-info.yaml. */
function tempPathFor(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  return join(dirname(path), `${stem}.${randomBytes(6).toString('hex')}${ext}.tmp`);
}

export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', options.mode ?? 0o644);
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    if (options.fsync !== false) fsyncSync(fd);
    // The umask may have narrowed the mode given to open(); set it exactly.
    fchmodSync(fd, options.mode ?? 0o644);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is what matters
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      // temp may not exist
    }
    throw fsError('write', path, error);
  }
}
