/**
 * Flag helpers shared by the CLIs: both id spellings (`--project-id`/`--project`,
 * `--task-id`/`--task`), durations (`30s`, `2h`, `1500ms`, or plain seconds) and root
 * resolution. Keep this file light: every command definition imports it at start-up.
 */
import type { Command } from 'commander';
import { durationToMs } from '../core/duration.js';
import { fsError, ValidationError } from '../core/errors.js';

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

/** Flags both `job` (one run) and `task` (a loop of runs) take: what to run, where, for how long. */
export interface RunFlags extends ScopeFlags {
  agent?: string;
  prompt?: string;
  promptFile?: string;
  cwd?: string;
  root?: string;
  config?: string;
  timeout?: string;
  idleTimeout?: string;
  maxConcurrent?: string;
  stopGrace?: string;
  parentRunId?: string;
  conductorUrl?: string;
  json?: boolean;
}

/** Adds the options of RunFlags (after the scope ones); `promptHelp` says where a missing prompt comes from. */
export function addRunOptions(cmd: Command, promptHelp = 'prompt text'): Command {
  return addScopeOptions(cmd)
    .option('--agent <name>', 'agent name from config.yaml, or a type (claude, codex, gemini, ...)')
    .option('--prompt <text>', promptHelp)
    .option('--prompt-file <path>', 'read the prompt from a file')
    .option('--cwd <dir>', 'working directory of the agent (default: the task folder)')
    .option('--root <dir>', 'runs root (default: $CONDUCTOR_ROOT, config storage.runs_dir, ./runs)')
    .option('--config <path>', 'config file')
    .option(
      '--timeout <duration>',
      'total time limit per run, e.g. 300, 30s, 15m (default: agent timeout, 300s)',
    )
    .option('--idle-timeout <duration>', 'stop a run that prints nothing for this long')
    .option('--max-concurrent <n>', 'concurrent runs allowed on this root (default 16)')
    .option('--stop-grace <duration>', 'SIGTERM to SIGKILL delay on stop or timeout (default 30s)')
    .option('--parent-run-id <id>', 'parent run id (default: $JRUN_ID)')
    .option('--conductor-url <url>', 'conductor server URL given to the agent')
    .option('--json', 'print the result as JSON');
}

/** The prompt from `--prompt` or `--prompt-file` (not both); undefined when neither is given. */
export async function readPromptFlags(flags: RunFlags): Promise<string | undefined> {
  if (flags.prompt !== undefined && flags.promptFile !== undefined) {
    throw new ValidationError('use either --prompt or --prompt-file, not both');
  }
  if (flags.promptFile === undefined) return flags.prompt;
  const { readFileSync } = await import('node:fs');
  try {
    return readFileSync(flags.promptFile, 'utf8');
  } catch (error) {
    throw fsError('read prompt file', flags.promptFile, error);
  }
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
