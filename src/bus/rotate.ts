/**
 * Bus rotation: rename `<bus>` to `<bus>.<YYYYMMDD-HHMMSS>.archived` while holding the bus
 * lock, so no append can land in the archived file afterwards (writers re-check the inode
 * after locking, see writer.ts). The next append starts a new file.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode, fsError } from '../core/errors.js';
import { lockSync, unlock } from '../core/flock.js';
import { utcStamp } from '../core/ids.js';

const ARCHIVE_STAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

function stampToMs(stamp: string): number | undefined {
  const m = ARCHIVE_STAMP.exec(stamp);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return Date.UTC(n[0]!, n[1]! - 1, n[2], n[3], n[4], n[5]);
}

function formatStamp(ms: number): string {
  const { day, time } = utcStamp(new Date(ms));
  return `${day}-${time}`;
}

/** Archived copies of `busPath`, oldest first (names sort in rotation order). */
export function listArchives(busPath: string): string[] {
  const dir = dirname(busPath);
  const prefix = `${basename(busPath)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      if (!name.startsWith(prefix) || !name.endsWith('.archived')) return false;
      return ARCHIVE_STAMP.test(name.slice(prefix.length, -'.archived'.length));
    })
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Name for the next archive. Several rotations within one second would collide, so the
 * stamp is moved past the newest existing archive: names stay unique, keep the reference
 * format and sort in rotation order (followers rely on that to read archives in order).
 */
export function nextArchivePath(busPath: string, now: Date = new Date()): string {
  let ms = Math.floor(now.getTime() / 1000) * 1000;
  const archives = listArchives(busPath);
  const newest = archives[archives.length - 1];
  if (newest !== undefined) {
    const stamp = basename(newest).slice(basename(busPath).length + 1, -'.archived'.length);
    const newestMs = stampToMs(stamp);
    if (newestMs !== undefined && newestMs >= ms) ms = newestMs + 1000;
  }
  return `${busPath}.${formatStamp(ms)}.archived`;
}

/** Rename the bus away. The caller holds the bus lock on an fd of this very file. */
export function archiveLocked(busPath: string): string {
  const target = nextArchivePath(busPath);
  try {
    renameSync(busPath, target);
  } catch (error) {
    throw fsError('rotate', busPath, error);
  }
  return target;
}

/**
 * Rotate `busPath` when it holds more than `maxBytes`. Returns the archive path, or
 * undefined when the file is missing or small enough.
 */
export function rotateIfLarger(
  busPath: string,
  maxBytes: number,
  options: { lockTimeoutMs?: number } = {},
): string | undefined {
  let fd: number;
  try {
    fd = openSync(busPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw fsError('open', busPath, error);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= maxBytes) return undefined;
    lockSync(fd, { timeoutMs: options.lockTimeoutMs ?? 10_000, what: busPath });
    try {
      // Someone may have rotated it while we waited for the lock.
      let current;
      try {
        current = lstatSync(busPath);
      } catch {
        return undefined;
      }
      const locked = fstatSync(fd);
      if (current.ino !== locked.ino || current.dev !== locked.dev) return undefined;
      if (locked.size <= maxBytes) return undefined;
      return archiveLocked(busPath);
    } finally {
      unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}
