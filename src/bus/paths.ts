/**
 * Where bus files live (compat.md §1/§3): `<root>/<project>/PROJECT-MESSAGE-BUS.md` and
 * `<root>/<project>/<task>/TASK-MESSAGE-BUS.md`, plus upward discovery from a folder.
 * Ids are validated by src/core/layout.ts before they become path components.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FILES, projectDir, taskDir } from '../core/layout.js';
import { isSafeId } from '../core/ids.js';

/** Names searched in each folder, most specific first. */
export const BUS_FILE_NAMES = [FILES.taskBus, FILES.projectBus, FILES.legacyBus] as const;

export function projectBusPath(root: string, projectId: string): string {
  return join(projectDir(root, projectId), FILES.projectBus);
}

export function taskBusPath(root: string, projectId: string, taskId: string): string {
  return join(taskDir(root, projectId, taskId), FILES.taskBus);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Nearest bus file at or above `from`: TASK-, then PROJECT-, then MESSAGE-BUS.md per folder. */
export function discoverBus(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    for (const name of BUS_FILE_NAMES) {
      const candidate = join(dir, name);
      if (isFile(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Project/task ids implied by a bus file's place in the tree (when they are valid ids). */
export function scopeOfBusPath(busPath: string): { projectId?: string; taskId?: string } {
  const dir = dirname(resolve(busPath));
  const name = basename(busPath);
  if (name === FILES.taskBus) {
    const taskId = basename(dir);
    const projectId = basename(dirname(dir));
    return {
      ...(isSafeId(projectId) ? { projectId } : {}),
      ...(isSafeId(taskId) ? { taskId } : {}),
    };
  }
  if (name === FILES.projectBus) {
    const projectId = basename(dir);
    return isSafeId(projectId) ? { projectId } : {};
  }
  return {};
}
