/**
 * `conductor backup`: a consistent tar.gz of the runs root, taken while runs are active.
 * The root is first copied into a staging folder next to the archive (see snapshot.ts),
 * the copy is verified, then archived as `runs-YYYYMMDD-HHMMSS.tar.gz` holding
 * `manifest.json` and `root/...`. The archive is written under a temporary name and renamed,
 * so a crash never leaves a half archive that retention would count as a good one.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { create } from 'tar';
import { fsError, NotFoundError, PermanentError, ValidationError } from '../core/errors.js';
import { isDirectory } from '../core/layout.js';
import { snapshotRoot, type SnapshotReport } from './snapshot.js';
import { verifyTree } from './verify.js';

export const BACKUP_FORMAT = 'conductor-backup/1';
export const MANIFEST_NAME = 'manifest.json';
export const ROOT_PREFIX = 'root';
const ARCHIVE_NAME = /^runs-(\d{8})-(\d{6})(?:-(\d+))?\.tar\.gz$/;

export interface BackupManifest extends SnapshotReport {
  format: typeof BACKUP_FORMAT;
  created_at: string;
  source_root: string;
}

export interface BackupOptions {
  root: string;
  outDir: string;
  /** Keep at most this many archives (newest first); undefined keeps all. */
  keep?: number | undefined;
  /** Delete archives older than this many days; undefined keeps all. */
  maxAgeDays?: number | undefined;
  now?: Date;
}

export interface BackupResult {
  archive: string;
  archiveBytes: number;
  manifest: BackupManifest;
  /** Archives deleted by retention. */
  pruned: string[];
}

function stampOf(date: Date): string {
  const iso = date.toISOString(); // 2026-11-26T15:24:38.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** A free archive name for `now`; a second backup within the same second gets `-1`, `-2`... */
export function archiveNameFor(outDir: string, now: Date): string {
  const stamp = stampOf(now);
  for (let n = 0; ; n++) {
    const name = n === 0 ? `runs-${stamp}.tar.gz` : `runs-${stamp}-${n}.tar.gz`;
    try {
      statSync(join(outDir, name));
    } catch {
      return join(outDir, name);
    }
  }
}

export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const root = resolve(options.root);
  const outDir = resolve(options.outDir);
  const now = options.now ?? new Date();
  if (!isDirectory(root)) throw new NotFoundError(`runs root not found: ${root}`);
  if (outDir === root || outDir.startsWith(`${root}/`)) {
    throw new ValidationError(`backup folder ${outDir} must be outside the runs root ${root}`);
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw fsError('create backup folder', outDir, error);
  }
  const stage = mkdtempSync(join(outDir, '.backup-staging-'));
  const archive = archiveNameFor(outDir, now);
  const partial = `${archive}.partial`;
  try {
    const stageRoot = join(stage, ROOT_PREFIX);
    mkdirSync(stageRoot);
    const report = snapshotRoot(root, stageRoot);
    const check = verifyTree(stageRoot);
    if (check.problems.length > 0) {
      throw new PermanentError(
        'BACKUP_VERIFY_FAILED',
        `backup of ${root} failed verification: ${check.problems.slice(0, 3).join('; ')}`,
      );
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      created_at: now.toISOString(),
      source_root: root,
      ...report,
    };
    writeFileSync(join(stage, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await create({ gzip: true, file: partial, cwd: stage, portable: true }, [
        MANIFEST_NAME,
        ROOT_PREFIX,
      ]);
      renameSync(partial, archive);
    } catch (error) {
      throw fsError('write backup archive', archive, error);
    }
    const pruned = applyRetention(outDir, {
      keep: options.keep,
      maxAgeDays: options.maxAgeDays,
      now,
      protect: archive,
    });
    return { archive, archiveBytes: statSync(archive).size, manifest, pruned };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

export interface RetentionOptions {
  keep?: number | undefined;
  maxAgeDays?: number | undefined;
  now: Date;
  /** Never deleted (the archive just written). */
  protect?: string;
}

/** Archive time from its name (UTC), which survives copies that reset mtimes. */
export function archiveTime(name: string): number | undefined {
  const m = ARCHIVE_NAME.exec(name);
  if (!m) return undefined;
  const d = m[1]!;
  const t = m[2]!;
  return Date.UTC(
    +d.slice(0, 4),
    +d.slice(4, 6) - 1,
    +d.slice(6, 8),
    +t.slice(0, 2),
    +t.slice(2, 4),
    +t.slice(4, 6),
  );
}

/** Delete archives beyond `keep` (newest kept) or older than `maxAgeDays`. Returns deleted paths. */
export function applyRetention(outDir: string, options: RetentionOptions): string[] {
  const archives = readdirSync(outDir)
    .map((name) => ({
      name,
      time: archiveTime(name),
      suffix: Number(ARCHIVE_NAME.exec(name)?.[3] ?? 0),
    }))
    .filter((a): a is { name: string; time: number; suffix: number } => a.time !== undefined)
    .sort((a, b) => b.time - a.time || b.suffix - a.suffix);
  const cutoff =
    options.maxAgeDays !== undefined
      ? options.now.getTime() - options.maxAgeDays * 86_400_000
      : undefined;
  const deleted: string[] = [];
  archives.forEach((archive, index) => {
    const path = join(outDir, archive.name);
    if (path === options.protect) return;
    const tooMany = options.keep !== undefined && index >= options.keep;
    const tooOld = cutoff !== undefined && archive.time < cutoff;
    if (!tooMany && !tooOld) return;
    try {
      unlinkSync(path);
      deleted.push(path);
    } catch (error) {
      throw fsError('delete old backup', path, error);
    }
  });
  return deleted;
}
