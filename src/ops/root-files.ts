/**
 * Classifying files of a runs root for backup, restore and verification: which files are
 * run records, which are bus files, and which are live lock/temp state not worth copying.
 */
import { readdirSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { BUS_FILE_NAMES } from '../bus/paths.js';
import { fsError } from '../core/errors.js';
import { FILES, SYSTEM_DIR } from '../core/layout.js';

export type RootFileKind = 'run-info' | 'bus' | 'other';

const BUS_NAMES = new Set<string>(BUS_FILE_NAMES);

/** Kind of a file by its name: bus archives (`<bus>.<stamp>.archived`) count as bus files. */
export function rootFileKind(path: string): RootFileKind {
  const name = basename(path);
  if (name === FILES.runInfo) return 'run-info';
  if (BUS_NAMES.has(name)) return 'bus';
  for (const bus of BUS_NAMES) {
    if (name.startsWith(`${bus}.`) && name.endsWith('.archived')) return 'bus';
  }
  return 'other';
}

/**
 * Live state that means nothing in a copy: held slot/queue lock files, transient lock files
 * and temp files of atomic writes in progress.
 */
export function isVolatile(relPath: string): boolean {
  const parts = relPath.split(sep);
  if (parts[0] === SYSTEM_DIR && (parts[1] === 'slots' || parts[1] === 'queue')) return true;
  const name = parts[parts.length - 1] ?? '';
  return name.endsWith('.tmp') || name === FILES.runInfoLock;
}

export interface WalkEntry {
  /** Path relative to the walked folder, with `/` separators on Linux. */
  relPath: string;
  absPath: string;
}

/** Regular files under `dir`, depth first, sorted for deterministic archives. */
export function* walkFiles(dir: string, base: string = dir): Generator<WalkEntry> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw fsError('list', dir, error);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const absPath = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(absPath, base);
    else if (entry.isFile()) yield { relPath: relative(base, absPath), absPath };
    // Symlinks, sockets and FIFOs are skipped: a copy of the root holds data, not pointers.
  }
}
