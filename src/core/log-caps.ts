/**
 * Size caps for files that grow without bound:
 * - agent stdout/stderr (`capLogFile`): the head is kept and the file is cut back to the cap
 *   with a one-line note. Offsets readers already saw stay valid (SSE resumes by byte offset),
 *   and the start of an agent's output is usually what explains a failure. The agent keeps its
 *   O_APPEND fd, so later output lands after the note and is cut again at the next check.
 * - the audit log (`rotateBySize`): renamed to `<file>.1` (older copies shift to `.2` ...,
 *   beyond `keep` deleted). Writers open the file by path for each line, so the next line
 *   starts a new file.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { errnoCode, fsError } from './errors.js';
import { lockSync, unlock } from './flock.js';

export function truncationNote(maxBytes: number): string {
  return `\n[conductor: output truncated at ${maxBytes} bytes (storage.max_log_bytes); later output was dropped]\n`;
}

/**
 * Cut `path` back to `maxBytes` plus the note when it is larger. Returns the number of bytes
 * dropped (0 when the file is within the cap or missing).
 */
export function capLogFile(path: string, maxBytes: number): number {
  const note = Buffer.from(truncationNote(maxBytes));
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw fsError('open', path, error);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= maxBytes + note.length) return 0;
    ftruncateSync(fd, maxBytes);
    writeSync(fd, note, 0, note.length, maxBytes);
    return size - maxBytes - note.length;
  } catch (error) {
    throw fsError('truncate', path, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * Rotate `path` when it holds at least `maxBytes`: `path` -> `path.1`, `path.1` -> `path.2`,
 * ..., keeping `keep` old copies. Serialised across processes (two servers on one root) by an
 * flock on `<path>.lock`. Returns true when a rotation happened.
 */
export function rotateBySize(path: string, maxBytes: number, keepCopies = 5): boolean {
  const keep = Math.max(1, keepCopies);
  if (sizeOf(path) < maxBytes) return false;
  const lockPath = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lockPath, 'a', 0o600);
  } catch (error) {
    throw fsError('lock', lockPath, error);
  }
  try {
    lockSync(fd, { what: lockPath });
    try {
      // Another process may have rotated while we waited.
      if (sizeOf(path) < maxBytes) return false;
      try {
        unlinkSync(`${path}.${keep}`);
      } catch {
        // no copy that old yet
      }
      for (let n = keep - 1; n >= 1; n--) {
        try {
          renameSync(`${path}.${n}`, `${path}.${n + 1}`);
        } catch (error) {
          if (errnoCode(error) !== 'ENOENT') throw fsError('rotate', path, error);
        }
      }
      try {
        renameSync(path, `${path}.1`);
      } catch (error) {
        throw fsError('rotate', path, error);
      }
      return true;
    } finally {
      unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export interface LogCapWatcher {
  /** Stop checking; runs one last check so the final size is within the cap too. */
  stop(): void;
}

/**
 * Keep a run's log files within `maxBytes` while it is active: the supervisor starts this next
 * to the run and stops it when the run ends. Errors (a full disk, a removed folder) are left to
 * the next check; the timer never keeps the process alive.
 */
export function watchLogCaps(
  paths: readonly string[],
  maxBytes: number,
  intervalMs = 2000,
): LogCapWatcher {
  const check = (): void => {
    for (const path of paths) {
      try {
        capLogFile(path, maxBytes);
      } catch {
        // retried at the next tick
      }
    }
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return {
    stop(): void {
      clearInterval(timer);
      check();
    },
  };
}
