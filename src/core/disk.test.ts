import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConductorError } from './errors.js';
import { assertDiskSpace, diskStatus, formatBytes } from './disk.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'disk-guard-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('disk guard', () => {
  it('reports free and total bytes of the root filesystem', () => {
    const status = diskStatus(dir);
    expect(status.totalBytes).toBeGreaterThan(0);
    expect(status.freeBytes).toBeGreaterThan(0);
    expect(status.freeBytes).toBeLessThanOrEqual(status.totalBytes);
    expect(status.usedPercent).toBeGreaterThanOrEqual(0);
    expect(status.usedPercent).toBeLessThanOrEqual(100);
  });

  it('passes above the threshold and throws a retriable one-line error below it', () => {
    expect(assertDiskSpace(dir, 1).freeBytes).toBeGreaterThan(0);
    let caught: unknown;
    try {
      assertDiskSpace(dir, Number.MAX_SAFE_INTEGER);
    } catch (error) {
      caught = error;
    }
    expect(isConductorError(caught) && caught.code).toBe('DISK_SPACE_LOW');
    expect(isConductorError(caught) && caught.exitCode).toBe(1);
    expect((caught as Error).message).toMatch(
      new RegExp(`^disk space low on ${dir}: [\\d.]+ [KMGT]?i?B free, need 8192 TiB$`),
    );
  });

  it('measures a root that does not exist yet on the filesystem that would hold it', () => {
    const missing = diskStatus(join(dir, 'missing', 'deeper'));
    expect(missing.totalBytes).toBe(diskStatus(dir).totalBytes);
    expect(() => assertDiskSpace(join(dir, 'missing'), Number.MAX_SAFE_INTEGER)).toThrow(
      /disk space low on .*missing/,
    );
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(900)).toBe('900 B');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  });
});
