/**
 * Which bus file a CLI `bus post`/`bus read` means, and the scope ids of a posted message
 * (compat.md §3 "Bus path resolution"):
 *   read: --project[/--task] (+--root) > JRUN_MESSAGE_BUS > run context > project home > discovery
 *   post: JRUN_MESSAGE_BUS first, then the same order.
 * Run context = JRUN_RUN_FOLDER, JRUN_TASK_FOLDER, or a run-info.yaml in the working folder.
 */
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { REFERENCE_TASK_ID } from '../core/ids.js';
import { FILES, isDirectory, resolveRoot, runDirContext } from '../core/layout.js';
import { tryReadRunInfo, type RunInfo } from '../core/run-info.js';
import { discoverBus, projectBusPath, scopeOfBusPath, taskBusPath } from './paths.js';

export interface BusLocationInput {
  root?: string | undefined;
  projectId?: string | undefined;
  taskId?: string | undefined;
  runId?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export type BusSource =
  | 'flags'
  | 'JRUN_MESSAGE_BUS'
  | 'JRUN_RUN_FOLDER'
  | 'JRUN_TASK_FOLDER'
  | 'run-info.yaml'
  | 'project home'
  | 'discovery';

export interface ResolvedBus {
  path: string;
  source: BusSource;
  /** Ids the location implies (flags, folder names, run-info.yaml). */
  projectId?: string;
  taskId?: string;
  runId?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** project_id/task_id/run_id of a run-info.yaml, if readable. */
function runInfoScope(runDir: string): { projectId?: string; taskId?: string; runId?: string } {
  let info: RunInfo | undefined;
  try {
    info = tryReadRunInfo(runDir);
  } catch {
    return {};
  }
  const out: { projectId?: string; taskId?: string; runId?: string } = {};
  // Only ids the file itself states: a folder without run-info.yaml implies nothing.
  if (info === undefined) return out;
  if (info.project_id) out.projectId = info.project_id;
  if (info.task_id) out.taskId = info.task_id;
  if (info.run_id) out.runId = info.run_id;
  return out;
}

function fromFlags(
  input: BusLocationInput,
  env: NodeJS.ProcessEnv,
  cwd: string,
): ResolvedBus | undefined {
  const projectFlag = nonEmpty(input.projectId);
  const taskFlag = nonEmpty(input.taskId);
  if (projectFlag === undefined && taskFlag === undefined) return undefined;
  const projectId = projectFlag ?? nonEmpty(env.JRUN_PROJECT_ID);
  if (projectId === undefined) {
    throw new ValidationError('--task needs --project (or JRUN_PROJECT_ID) to find the task bus');
  }
  const root = resolveRoot({ flag: input.root, env, cwd });
  const path =
    taskFlag !== undefined
      ? taskBusPath(root, projectId, taskFlag)
      : projectBusPath(root, projectId);
  return {
    path,
    source: 'flags',
    projectId,
    ...(taskFlag !== undefined ? { taskId: taskFlag } : {}),
  };
}

function fromEnvBus(env: NodeJS.ProcessEnv, cwd: string): ResolvedBus | undefined {
  const busPath = nonEmpty(env.JRUN_MESSAGE_BUS);
  if (busPath === undefined) return undefined;
  const path = resolve(cwd, busPath);
  return { path, source: 'JRUN_MESSAGE_BUS', ...scopeOfBusPath(path) };
}

function fromRunContext(env: NodeJS.ProcessEnv, cwd: string): ResolvedBus | undefined {
  const runFolder = nonEmpty(env.JRUN_RUN_FOLDER);
  if (runFolder !== undefined) {
    const runDir = resolve(cwd, runFolder);
    const { taskDir, runId } = runDirContext(runDir);
    const path = join(taskDir, FILES.taskBus);
    return {
      path,
      source: 'JRUN_RUN_FOLDER',
      ...scopeOfBusPath(path),
      runId,
      ...runInfoScope(runDir),
    };
  }
  const taskFolder = nonEmpty(env.JRUN_TASK_FOLDER);
  if (taskFolder !== undefined) {
    const path = join(resolve(cwd, taskFolder), FILES.taskBus);
    return { path, source: 'JRUN_TASK_FOLDER', ...scopeOfBusPath(path) };
  }
  const info = runInfoScope(cwd);
  if (Object.keys(info).length > 0) {
    const path = join(runDirContext(cwd).taskDir, FILES.taskBus);
    return { path, source: 'run-info.yaml', ...scopeOfBusPath(path), ...info };
  }
  return undefined;
}

/** A project folder holds task folders named like `task-YYYYMMDD-HHMMSS-slug`. */
function fromProjectHome(cwd: string): ResolvedBus | undefined {
  let names: string[];
  try {
    names = readdirSync(cwd);
  } catch {
    return undefined;
  }
  const hasTasks = names.some((n) => REFERENCE_TASK_ID.test(n) && isDirectory(join(cwd, n)));
  if (!hasTasks) return undefined;
  const path = join(cwd, FILES.projectBus);
  return { path, source: 'project home', ...scopeOfBusPath(path) };
}

function fromDiscovery(cwd: string): ResolvedBus | undefined {
  const path = discoverBus(cwd);
  return path === undefined ? undefined : { path, source: 'discovery', ...scopeOfBusPath(path) };
}

/** The bus a command addresses; throws a ValidationError when nothing points to one. */
export function resolveBus(mode: 'post' | 'read', input: BusLocationInput = {}): ResolvedBus {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const steps =
    mode === 'post'
      ? [() => fromEnvBus(env, cwd), () => fromFlags(input, env, cwd)]
      : [() => fromFlags(input, env, cwd), () => fromEnvBus(env, cwd)];
  steps.push(
    () => fromRunContext(env, cwd),
    () => fromProjectHome(cwd),
    () => fromDiscovery(cwd),
  );
  for (const step of steps) {
    const found = step();
    if (found) return found;
  }
  throw new ValidationError(
    'no message bus found: pass --project (and --task) with --root, set JRUN_MESSAGE_BUS, or run inside a project or task folder',
  );
}

export interface PostScope {
  project_id: string;
  task_id: string;
  run_id: string;
}

/**
 * Ids for a posted message: flags, then what the bus location implies, then
 * JRUN_PROJECT_ID/JRUN_TASK_ID/JRUN_ID. A project id is required.
 */
export function resolvePostScope(bus: ResolvedBus, input: BusLocationInput = {}): PostScope {
  const env = input.env ?? process.env;
  const projectId = nonEmpty(input.projectId) ?? bus.projectId ?? nonEmpty(env.JRUN_PROJECT_ID);
  if (projectId === undefined) {
    throw new ValidationError(
      `project id is required: pass --project or set JRUN_PROJECT_ID (bus ${basename(bus.path)} does not imply one)`,
    );
  }
  return {
    project_id: projectId,
    task_id: nonEmpty(input.taskId) ?? bus.taskId ?? nonEmpty(env.JRUN_TASK_ID) ?? '',
    run_id: nonEmpty(input.runId) ?? bus.runId ?? nonEmpty(env.JRUN_ID) ?? '',
  };
}
