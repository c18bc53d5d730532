/**
 * `conductor restore ARCHIVE --root DIR`: unpack a backup into an empty (or new) root and
 * check that every run-info.yaml and bus file reads back and that the counts match the
 * archive's manifest.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { extract, list } from 'tar';
import {
  ConflictError,
  errnoCode,
  fsError,
  NotFoundError,
  PermanentError,
  ValidationError,
} from '../core/errors.js';
import { BACKUP_FORMAT, MANIFEST_NAME, ROOT_PREFIX, type BackupManifest } from './backup.js';
import { verifyTree, type VerifyReport } from './verify.js';

export interface RestoreOptions {
  archive: string;
  root: string;
}

export interface RestoreResult {
  root: string;
  manifest: BackupManifest;
  verified: VerifyReport;
}

async function readManifest(archive: string): Promise<BackupManifest> {
  const chunks: Buffer[] = [];
  let found = false;
  try {
    await list({
      file: archive,
      filter: (path) => path === MANIFEST_NAME,
      onReadEntry: (entry) => {
        found = true;
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      },
    });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new NotFoundError(`backup not found: ${archive}`);
    throw new ValidationError(
      `cannot read backup ${archive}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!found)
    throw new ValidationError(`${archive} is not a conductor backup (no ${MANIFEST_NAME})`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ValidationError(`${archive}: ${MANIFEST_NAME} is not valid JSON`);
  }
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    (manifest as { format?: unknown }).format !== BACKUP_FORMAT
  ) {
    throw new ValidationError(`${archive}: unsupported backup format (expected ${BACKUP_FORMAT})`);
  }
  return manifest as BackupManifest;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const archive = resolve(options.archive);
  const root = resolve(options.root);
  // Check the archive before touching the target folder.
  const manifest = await readManifest(archive);
  assertEmptyRoot(root);
  try {
    await extract({
      file: archive,
      cwd: root,
      strip: 1,
      // Only plain files and folders under `root/`: a crafted archive cannot plant links.
      filter: (path, entry) =>
        (path === ROOT_PREFIX || path.startsWith(`${ROOT_PREFIX}/`)) &&
        'type' in entry &&
        (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'Directory'),
    });
  } catch (error) {
    throw fsError('extract backup into', root, error);
  }
  const verified = verifyTree(root);
  const mismatch: string[] = [...verified.problems];
  if (verified.runInfos !== manifest.runInfos) {
    mismatch.push(`run-info.yaml files: ${verified.runInfos}, manifest says ${manifest.runInfos}`);
  }
  if (verified.busFiles !== manifest.busFiles) {
    mismatch.push(`bus files: ${verified.busFiles}, manifest says ${manifest.busFiles}`);
  }
  if (verified.busMessages !== manifest.busMessages) {
    mismatch.push(`bus messages: ${verified.busMessages}, manifest says ${manifest.busMessages}`);
  }
  if (verified.files !== manifest.files) {
    mismatch.push(`files: ${verified.files}, manifest says ${manifest.files}`);
  }
  if (mismatch.length > 0) {
    throw new PermanentError(
      'RESTORE_VERIFY_FAILED',
      `restored ${root} from ${archive} but verification failed: ${mismatch.slice(0, 3).join('; ')}`,
    );
  }
  return { root, manifest, verified };
}

/** The target must be empty or missing (then it is created). */
function assertEmptyRoot(root: string): void {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw fsError('read', root, error);
    try {
      mkdirSync(root, { recursive: true });
    } catch (mkdirError) {
      throw fsError('create', root, mkdirError);
    }
    return;
  }
  if (entries.length > 0) {
    throw new ConflictError(
      `refusing to restore into ${root}: it is not empty (${entries.length} entries); restore into an empty or new folder`,
    );
  }
}
