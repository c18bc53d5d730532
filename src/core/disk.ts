/**
 * Free-space guard for the runs root. The runner calls `assertDiskSpace` before it starts a
 * run and the server's readiness check calls `diskStatus`, so a filling disk refuses new work
 * with one clear, retriable error instead of producing half-written runs.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsError, RetriableError } from './errors.js';

export interface DiskStatus {
  /** Bytes available to unprivileged writers (statfs bavail). */
  freeBytes: number;
  totalBytes: number;
  /** 0-100, share of the filesystem in use as `df` reports it. */
  usedPercent: number;
}

/** The path itself or its nearest existing ancestor (a root may not exist yet). */
function existingAncestor(path: string): string {
  let current = resolve(path);
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/** Free/total bytes of the filesystem that holds `root` (or would hold it). */
export function diskStatus(root: string): DiskStatus {
  let stat;
  try {
    stat = statfsSync(existingAncestor(root));
  } catch (error) {
    throw fsError('check disk space of', root, error);
  }
  const freeBytes = stat.bavail * stat.bsize;
  const totalBytes = stat.blocks * stat.bsize;
  // df's "Use%": used / (used + available), so reserved root blocks count as unavailable.
  const usedBytes = (stat.blocks - stat.bfree) * stat.bsize;
  const usable = usedBytes + freeBytes;
  const usedPercent = usable > 0 ? Math.round((usedBytes / usable) * 1000) / 10 : 0;
  return { freeBytes, totalBytes, usedPercent };
}

/** Refuse new work when the root's filesystem has less than `minFreeBytes` available. */
export function assertDiskSpace(root: string, minFreeBytes: number): DiskStatus {
  const status = diskStatus(root);
  if (status.freeBytes < minFreeBytes) {
    throw new RetriableError(
      'DISK_SPACE_LOW',
      `disk space low on ${root}: ${formatBytes(status.freeBytes)} free, need ${formatBytes(minFreeBytes)}`,
      { details: { freeBytes: status.freeBytes, minFreeBytes } },
    );
  }
  return status;
}

/** Human size with binary units: `512 MiB`, `1.5 GiB`, `900 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : value.toFixed(value >= 100 ? 0 : 1).replace(/\.0$/, '');
  return `${text} ${units[unit]}`;
}
