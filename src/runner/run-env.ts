/**
 * The environment contract of a run (compat.md §6): JRUN_* describe where the agent is,
 * CONDUCTOR_ROOT and PATH make nested `run-agent`/`messagebus-tool` reach the same root.
 */
import { delimiter } from 'node:path';
import { selfBinDir } from '../core/self.js';

export interface RunEnvContext {
  root: string;
  projectId: string;
  taskId: string;
  runId: string;
  parentRunId?: string | undefined;
  runsDir: string;
  busPath: string;
  taskDir: string;
  runDir: string;
  conductorUrl?: string | undefined;
}

/** `PATH` with `dir` first, unless it is already on it. */
export function prependPath(path: string | undefined, dir: string): string {
  const parts = (path ?? '').split(delimiter).filter((p) => p !== '');
  if (parts.includes(dir)) return parts.join(delimiter);
  return [dir, ...parts].join(delimiter);
}

export function buildRunEnv(
  ctx: RunEnvContext,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A stale URL from an enclosing run must not leak into a run that has none.
  delete env.JRUN_CONDUCTOR_URL;
  Object.assign(env, {
    JRUN_PROJECT_ID: ctx.projectId,
    JRUN_TASK_ID: ctx.taskId,
    JRUN_ID: ctx.runId,
    JRUN_PARENT_ID: ctx.parentRunId ?? '',
    JRUN_RUNS_DIR: ctx.runsDir,
    JRUN_MESSAGE_BUS: ctx.busPath,
    JRUN_TASK_FOLDER: ctx.taskDir,
    JRUN_RUN_FOLDER: ctx.runDir,
    CONDUCTOR_ROOT: ctx.root,
    PATH: prependPath(base.PATH, selfBinDir()),
  });
  if (ctx.conductorUrl !== undefined && ctx.conductorUrl !== '') {
    env.JRUN_CONDUCTOR_URL = ctx.conductorUrl;
  }
  return env;
}
