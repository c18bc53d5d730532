/**
 * Which run(s) `stop` and `output` address: `--run-dir`, or `--root --project --task
 * [--run]` (ids falling back to the JRUN_* environment of an enclosing run).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addScopeOptions, scopeFromFlags } from '../options.js';

export interface RunTargetFlags {
  runDir?: string;
  root?: string;
  projectId?: string;
  project?: string;
  taskId?: string;
  task?: string;
  run?: string;
}

export function addRunTargetOptions(cmd: Command, runHelp: string): Command {
  cmd.option('--run-dir <dir>', 'run folder');
  cmd.option('--root <dir>', 'runs root (default: $CONDUCTOR_ROOT or ./runs)');
  addScopeOptions(cmd);
  return cmd.option('--run <id>', runHelp);
}

export interface TaskTarget {
  root: string;
  projectId: string;
  taskId: string;
  taskDir: string;
}

/** The task addressed by the flags (ValidationError when ids are missing). */
export async function resolveTaskTarget(
  flags: RunTargetFlags,
  missing = 'which run? use --run-dir, or --project and --task (with --root)',
): Promise<TaskTarget> {
  const [{ ValidationError }, layout] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/layout.js'),
  ]);
  const scope = scopeFromFlags(flags);
  if (scope.projectId === undefined || scope.taskId === undefined) {
    throw new ValidationError(missing);
  }
  const root = layout.resolveRoot({ flag: flags.root });
  return {
    root,
    projectId: scope.projectId,
    taskId: scope.taskId,
    taskDir: layout.taskDir(root, scope.projectId, scope.taskId),
  };
}

/** One run folder: `--run-dir`, `--run <id>`, or the task's newest run (`--run latest`). */
export async function resolveRunDir(flags: RunTargetFlags): Promise<string> {
  const [{ NotFoundError }, layout, store] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/layout.js'),
    import('../../core/store.js'),
  ]);
  if (flags.runDir !== undefined) {
    const runDir = resolve(flags.runDir);
    if (!layout.isDirectory(runDir)) throw new NotFoundError(`run folder not found: ${runDir}`);
    return runDir;
  }
  const target = await resolveTaskTarget(flags);
  if (flags.run !== undefined && flags.run !== 'latest') {
    const runDir = layout.findRunDir(target.taskDir, flags.run);
    if (runDir === undefined) {
      throw new NotFoundError(
        `run ${flags.run} not found in task ${target.projectId}/${target.taskId}`,
      );
    }
    return runDir;
  }
  const latest = store.latestRunDir(target.taskDir);
  if (latest === undefined) {
    throw new NotFoundError(
      `task ${target.projectId}/${target.taskId} has no runs (${target.taskDir})`,
    );
  }
  return latest.runDir;
}
