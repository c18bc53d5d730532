/**
 * Scanning the runs root: projects, tasks and runs in either layout (compat.md §0/§1).
 * Plain directory reads, no caching; the server keeps its own index on top of this.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, fsError } from './errors.js';
import { isSafeId } from './ids.js';
import {
  AUDIT_DIR,
  FILES,
  isDirectory,
  isRunDirName,
  projectDir,
  SYSTEM_DIR,
  taskDir,
} from './layout.js';
import { tryReadRunInfo, parseRunInfo, type RunInfo } from './run-info.js';

function readDirents(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw fsError('list', path, error);
  }
}

const NOT_PROJECTS = new Set([SYSTEM_DIR, AUDIT_DIR]);

/** Project ids under the root, sorted. */
export function listProjects(root: string): string[] {
  return readDirents(root)
    .filter((d) => d.isDirectory() && !NOT_PROJECTS.has(d.name) && isSafeId(d.name))
    .map((d) => d.name)
    .sort();
}

/** Task ids of a project, sorted. */
export function listTasks(root: string, projectId: string): string[] {
  return readDirents(projectDir(root, projectId))
    .filter((d) => d.isDirectory() && isSafeId(d.name))
    .map((d) => d.name)
    .sort();
}

export interface RunDirEntry {
  runId: string;
  runDir: string;
}

/** Run folders of a task in both layouts (`<task>/<run>` and `<task>/runs/<run>`), oldest first. */
export function listRunDirs(taskPath: string): RunDirEntry[] {
  const entries: RunDirEntry[] = [];
  let hasReferenceRuns = false;
  for (const d of readDirents(taskPath)) {
    if (!d.isDirectory()) continue;
    if (d.name === FILES.referenceRunsDir) hasReferenceRuns = true;
    else if (isRunDirName(d.name)) entries.push({ runId: d.name, runDir: join(taskPath, d.name) });
  }
  if (hasReferenceRuns) {
    const runsPath = join(taskPath, FILES.referenceRunsDir);
    for (const d of readDirents(runsPath)) {
      if (d.isDirectory() && isSafeId(d.name))
        entries.push({ runId: d.name, runDir: join(runsPath, d.name) });
    }
  }
  return entries.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

/** The newest run folder of a task (run ids sort by start time), if any. */
export function latestRunDir(taskPath: string): RunDirEntry | undefined {
  const runs = listRunDirs(taskPath);
  return runs[runs.length - 1];
}

export interface RunRecord {
  projectId: string;
  taskId: string;
  runDir: string;
  info: RunInfo;
}

export interface ScanFilter {
  projectId?: string;
  taskId?: string;
}

/** Every run under the root (optionally one project/task) with its run-info, oldest first per task. */
export function scanRuns(root: string, filter: ScanFilter = {}): RunRecord[] {
  const records: RunRecord[] = [];
  const projects = filter.projectId !== undefined ? [filter.projectId] : listProjects(root);
  for (const projectId of projects) {
    const tasks = filter.taskId !== undefined ? [filter.taskId] : listTasks(root, projectId);
    for (const taskId of tasks) {
      for (const { runDir } of listRunDirs(taskDir(root, projectId, taskId))) {
        const info = tryReadRunInfo(runDir) ?? parseRunInfo('', runDir);
        records.push({ projectId, taskId, runDir, info });
      }
    }
  }
  return records;
}

export interface RunLocation {
  projectId: string;
  taskId: string;
  runId: string;
  runDir: string;
  taskDir: string;
}

/** Find a run by id anywhere under the root (one stat per task folder). */
export function findRun(
  root: string,
  runId: string,
  hint: ScanFilter = {},
): RunLocation | undefined {
  const projects = hint.projectId !== undefined ? [hint.projectId] : listProjects(root);
  for (const projectId of projects) {
    const tasks = hint.taskId !== undefined ? [hint.taskId] : listTasks(root, projectId);
    for (const taskId of tasks) {
      const tDir = taskDir(root, projectId, taskId);
      for (const candidate of [join(tDir, runId), join(tDir, FILES.referenceRunsDir, runId)]) {
        if (isDirectory(candidate))
          return { projectId, taskId, runId, runDir: candidate, taskDir: tDir };
      }
    }
  }
  return undefined;
}
