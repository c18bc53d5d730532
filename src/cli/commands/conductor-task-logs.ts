/**
 * `conductor task logs`: print a run's output.md / stdout / stderr, or follow it live.
 * Without `--run` it uses the task's latest run; with `--follow` it keeps following the
 * task's next runs until the task ends.
 */
import type { ApiClient } from '../../client/api-client.js';
import type { RunFileName } from '../../client/api-types.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { parseRunId } from '../../core/ids.js';
import { followRun, followTask, type StreamChoice } from './conductor-follow.js';
import { clientFrom, type ClientFlags } from './conductor-options.js';
import { taskRef, type TaskRefFlags } from './conductor-task-actions.js';

export type LogFile = 'output' | 'stdout' | 'stderr' | 'prompt';
const FILES: Record<LogFile, RunFileName> = {
  output: 'output.md',
  stdout: 'stdout',
  stderr: 'stderr',
  prompt: 'prompt',
};

export interface LogsFlags extends TaskRefFlags, ClientFlags {
  run?: string;
  follow?: boolean;
  file?: string;
  tail?: string;
}

export function parseLogFile(value: string | undefined, follow: boolean): LogFile {
  const file = value ?? (follow ? 'stdout' : 'output');
  if (!(file in FILES)) {
    throw new ValidationError(
      `invalid --file ${JSON.stringify(value)}: use output, stdout, stderr or prompt`,
    );
  }
  return file as LogFile;
}

export async function taskLogs(args: (string | undefined)[], flags: LogsFlags): Promise<void> {
  const follow = flags.follow === true;
  const file = parseLogFile(flags.file, follow);
  const tail = flags.tail === undefined ? undefined : Number(flags.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail <= 0)) {
    throw new ValidationError(
      `invalid --tail ${JSON.stringify(flags.tail)}: expected a byte count > 0`,
    );
  }
  const client = await clientFrom(flags);
  // --follow prints both streams live; --file narrows that, and output/prompt are printed
  // once the run has ended.
  const streams: StreamChoice =
    flags.file === undefined ? 'both' : file === 'stdout' || file === 'stderr' ? file : 'none';
  if (flags.run !== undefined) {
    const runId = parseRunId(flags.run);
    if (follow) {
      await followRun(client, runId, streams);
      if (file === 'output' || file === 'prompt') await printFile(client, runId, file, tail);
    } else {
      await printFile(client, runId, file, tail);
    }
    return;
  }
  const { projectId, taskId } = taskRef(args, flags, 'task logs');
  if (follow) {
    await followTask(client, projectId, taskId, { streams });
    if (file === 'output' || file === 'prompt') {
      const task = await client.task(projectId, taskId);
      if (task.latest_run_id !== undefined) await printFile(client, task.latest_run_id, file, tail);
    }
    return;
  }
  const task = await client.task(projectId, taskId);
  if (task.latest_run_id === undefined) {
    throw new NotFoundError(
      `task ${projectId}/${taskId} has no runs yet (use --follow to wait for one)`,
    );
  }
  await printFile(client, task.latest_run_id, file, tail);
}

async function printFile(
  client: ApiClient,
  runId: string,
  file: LogFile,
  tail: number | undefined,
): Promise<void> {
  const text = await client.runFile(runId, FILES[file], tail === undefined ? {} : { tail });
  process.stdout.write(text);
  if (text !== '' && !text.endsWith('\n') && process.stdout.isTTY) process.stdout.write('\n');
}
