/**
 * Storage layout (compat.md §0 and §1). The only module that builds paths under the root.
 *
 * Seed layout (default):      <root>/<project>/<task>/<run_id>/
 * Reference layout (read, and written when a task already has runs/ or when
 * `storage.layout: reference`):  <root>/<project>/<task>/runs/<run_id>/
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValidationError } from './errors.js';
import { assertSafeId, RUN_ID_PATTERN } from './ids.js';

export type StorageLayout = 'seed' | 'reference';

/** File names inside project, task and run folders. */
export const FILES = {
  // project folder
  projectBus: 'PROJECT-MESSAGE-BUS.md',
  projectFacts: 'PROJECT-FACTS.md',
  projectRoot: 'PROJECT-ROOT.txt',
  legacyBus: 'MESSAGE-BUS.md',
  // task folder
  taskPrompt: 'TASK.md',
  taskBus: 'TASK-MESSAGE-BUS.md',
  taskConfig: 'TASK-CONFIG.yaml',
  taskState: 'TASK_STATE.md',
  done: 'DONE',
  stopRequested: 'STOP-REQUESTED',
  cancelled: 'CANCELLED',
  factPropagation: 'TASK-COMPLETE-FACT-PROPAGATION.yaml',
  factPropagationLock: 'TASK-COMPLETE-FACT-PROPAGATION.lock',
  /** Our restart-loop state (owner, attempt, limits) so any supervisor can adopt the loop. */
  taskLoop: 'TASK-LOOP.yaml',
  referenceRunsDir: 'runs',
  // run folder
  runInfo: 'run-info.yaml',
  runInfoLock: 'run-info.yaml.lock',
  prompt: 'prompt.md',
  output: 'output.md',
  stdout: 'agent-stdout.txt',
  stderr: 'agent-stderr.txt',
  cwd: 'cwd.txt',
  /** Written by the run wrapper when the agent exits: its exit status, so any process can finish the run. */
  exitCode: 'agent-exit-code.txt',
} as const;

/** Folder under the root for our own bookkeeping (slots, audit, index); not a project. */
export const SYSTEM_DIR = '.conductor';
export const AUDIT_DIR = '_audit';

export interface RootSources {
  /** `--root` flag */
  flag?: string | undefined;
  /** environment (CONDUCTOR_ROOT) */
  env?: NodeJS.ProcessEnv;
  /** `storage.runs_dir` from config, already resolved against the config file's folder */
  configRunsDir?: string | undefined;
  cwd?: string;
}

/** Root resolution: `--root` > CONDUCTOR_ROOT > config `storage.runs_dir` > `./runs`. */
export function resolveRoot(sources: RootSources = {}): string {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const chosen =
    nonEmpty(sources.flag) ??
    nonEmpty(env.CONDUCTOR_ROOT) ??
    nonEmpty(sources.configRunsDir) ??
    'runs';
  return resolve(cwd, expandHome(chosen, env));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** `~` and `~/x` expand to the home folder. */
export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path === '~' || path.startsWith('~/')) {
    const home = env.HOME ?? '';
    return home + path.slice(1);
  }
  return path;
}

export function projectDir(root: string, projectId: string): string {
  assertSafeId('project id', projectId);
  return join(root, projectId);
}

export function taskDir(root: string, projectId: string, taskId: string): string {
  assertSafeId('task id', taskId);
  return join(projectDir(root, projectId), taskId);
}

/**
 * Folder that holds a task's run folders for new runs: the task folder itself (seed),
 * or `<task>/runs` when that already exists or the reference layout is configured.
 */
export function runsParentDir(taskPath: string, layout: StorageLayout = 'seed'): string {
  const referenceRuns = join(taskPath, FILES.referenceRunsDir);
  if (layout === 'reference' || isDirectory(referenceRuns)) return referenceRuns;
  return taskPath;
}

/** Where an existing run lives: `<task>/<run>` or `<task>/runs/<run>`, whichever exists. */
export function findRunDir(taskPath: string, runId: string): string | undefined {
  assertSafeId('run id', runId);
  for (const candidate of [join(taskPath, runId), join(taskPath, FILES.referenceRunsDir, runId)]) {
    if (isDirectory(candidate)) return candidate;
  }
  return undefined;
}

export function isRunDirName(name: string): boolean {
  return RUN_ID_PATTERN.test(name);
}

/** Task folder and run id of a run folder, for either layout. */
export function runDirContext(runDir: string): { taskDir: string; runId: string } {
  const abs = resolve(runDir);
  const parent = dirname(abs);
  const runId = basename(abs);
  // `<task>/runs/<run>` (reference) unless `runs` is itself a seed-layout task folder.
  const isReferenceRuns =
    basename(parent) === FILES.referenceRunsDir && !existsSync(join(parent, FILES.taskPrompt));
  return { taskDir: isReferenceRuns ? dirname(parent) : parent, runId };
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function exists(path: string): boolean {
  return existsSync(path);
}

/**
 * Resolve a user-supplied relative path inside `root`, refusing anything that escapes it
 * (`..` segments, absolute paths elsewhere, NUL bytes).
 */
export function resolveInside(root: string, userPath: string, what = 'path'): string {
  if (userPath.includes('\0')) throw new ValidationError(`invalid ${what}: contains NUL`);
  const absRoot = resolve(root);
  const target = isAbsolute(userPath) ? resolve(userPath) : resolve(absRoot, userPath);
  const rel = relative(absRoot, target);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return target;
  throw new ValidationError(
    `invalid ${what} ${JSON.stringify(userPath)}: outside the runs root ${absRoot}`,
  );
}

/** True when `path` is `root` or inside it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
