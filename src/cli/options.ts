/**
 * Flag helpers shared by the CLIs: both id spellings (`--project-id`/`--project`,
 * `--task-id`/`--task`), durations (`30s`, `2h`, `1500ms`, or plain seconds) and root
 * resolution. Keep this file light: every command definition imports it at start-up.
 */
import type { Command } from 'commander';
import { durationToMs } from '../core/duration.js';
import { ValidationError } from '../core/errors.js';

/** Parse a duration flag into milliseconds: Go syntax (`1h30m`, `30s`, `250ms`) or plain seconds. */
export function parseDurationMs(value: string, flag = 'duration'): number {
  const ms = durationToMs(value);
  if (ms === undefined) {
    throw new ValidationError(
      `invalid ${flag} ${JSON.stringify(value)}: use seconds or a duration like 30s, 5m, 1h30m`,
    );
  }
  return ms;
}

export function parseIntFlag(value: string, flag: string, min = 0): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min) {
    throw new ValidationError(
      `invalid ${flag} ${JSON.stringify(value)}: expected an integer >= ${min}`,
    );
  }
  return Number(value);
}

export interface ScopeFlags {
  projectId?: string;
  project?: string;
  taskId?: string;
  task?: string;
}

/** Adds `--project-id/--project` and `--task-id/--task` (seed and reference spellings). */
export function addScopeOptions(cmd: Command, options: { task?: boolean } = {}): Command {
  cmd.option('--project-id <id>', 'project id').option('--project <id>', 'alias of --project-id');
  if (options.task !== false) {
    cmd.option('--task-id <id>', 'task id').option('--task <id>', 'alias of --task-id');
  }
  return cmd;
}

/** Project and task ids from flags, else the JRUN_* environment of an enclosing run. */
export function scopeFromFlags(
  flags: ScopeFlags,
  env: NodeJS.ProcessEnv = process.env,
): { projectId: string | undefined; taskId: string | undefined } {
  return {
    projectId: flags.projectId ?? flags.project ?? nonEmpty(env.JRUN_PROJECT_ID),
    taskId: flags.taskId ?? flags.task ?? nonEmpty(env.JRUN_TASK_ID),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' ? value : undefined;
}

/** Collect repeated/comma-separated values (`--depends-on a --depends-on b,c`). */
export function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(
    value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  );
}
