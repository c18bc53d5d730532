/**
 * Copy a live runs root into a staging folder so the copy can be archived at leisure.
 * Files that are rewritten or appended while runs are active are copied so they can
 * never be torn:
 * - run-info.yaml is read until two reads agree (writers replace it by rename, so each read
 *   is a whole version; the second read catches a writer that does not);
 * - bus files are read under a shared flock (appenders take it exclusively for one write),
 *   and only complete records are kept.
 * Everything else is copied as it is at that moment (logs are append-only, so a copy is a
 * prefix of the final file).
 */
import {
  closeSync,
  constants,
  copyFileSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoCode, fsError, isConductorError, RetriableError } from '../core/errors.js';
import { lockSync, unlock } from '../core/flock.js';
import { isVolatile, rootFileKind, walkFiles } from './root-files.js';
import { completeBusLength } from './verify.js';

export interface SnapshotReport {
  files: number;
  bytes: number;
  runInfos: number;
  busFiles: number;
  busMessages: number;
  /** Bytes of torn bus tails left out of the copy. */
  droppedBusBytes: number;
}

const STABLE_READ_ATTEMPTS = 20;

/** Copy `root` into `stageDir` (which must exist and be empty). */
export function snapshotRoot(root: string, stageDir: string): SnapshotReport {
  const report: SnapshotReport = {
    files: 0,
    bytes: 0,
    runInfos: 0,
    busFiles: 0,
    busMessages: 0,
    droppedBusBytes: 0,
  };
  for (const { relPath, absPath } of walkFiles(root)) {
    if (isVolatile(relPath)) continue;
    const target = join(stageDir, relPath);
    mkdirSync(dirname(target), { recursive: true });
    const kind = rootFileKind(absPath);
    let bytes: number | undefined;
    try {
      if (kind === 'run-info') {
        bytes = copyStableFile(absPath, target);
        report.runInfos++;
      } else if (kind === 'bus') {
        const copied = copyBusFile(absPath, target);
        bytes = copied.bytes;
        report.busFiles++;
        report.busMessages += copied.messages;
        report.droppedBusBytes += copied.droppedBytes;
      } else {
        copyFileSync(absPath, target);
        bytes = fstatSize(target);
      }
    } catch (error) {
      // A run folder removed (gc, delete) between listing and copying is not an error.
      if (errnoCode(error) === 'ENOENT' || isNotFound(error)) continue;
      throw error;
    }
    report.files++;
    report.bytes += bytes;
  }
  return report;
}

function isNotFound(error: unknown): boolean {
  return isConductorError(error) && error.code === 'NOT_FOUND';
}

function fstatSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** Read until two consecutive reads are identical, then write that text. */
function copyStableFile(source: string, target: string): number {
  let previous = readFileSync(source);
  for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
    const current = readFileSync(source);
    if (current.equals(previous)) {
      writeFileSync(target, current, { mode: 0o644 });
      return current.length;
    }
    previous = current;
  }
  throw new RetriableError(
    'SNAPSHOT_UNSTABLE',
    `cannot take a consistent copy of ${source}: it changed on each of ${STABLE_READ_ATTEMPTS} reads`,
  );
}

/** Copy a bus file under a shared lock, up to its last complete record. */
function copyBusFile(
  source: string,
  target: string,
): { bytes: number; messages: number; droppedBytes: number } {
  let fd: number;
  try {
    fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw fsError('open', source, error);
  }
  let data: Buffer;
  try {
    lockSync(fd, { exclusive: false, what: source });
    try {
      data = readAll(fd);
    } finally {
      unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
  const text = data.toString('utf8');
  const complete = completeBusLength(text);
  const kept = Buffer.from(text.slice(0, complete.length), 'utf8');
  writeFileSync(target, kept, { mode: 0o644 });
  return {
    bytes: kept.length,
    messages: complete.messages,
    droppedBytes: data.length - kept.length,
  };
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) {
    const n = readSync(fd, buffer, offset, size - offset, offset);
    if (n === 0) break;
    offset += n;
  }
  return buffer.subarray(0, offset);
}
