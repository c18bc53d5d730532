/**
 * Live output over the API: stream a run's stdout/stderr (SSE `log` events) to our stdout
 * and stderr, and for a task keep following each new run of its loop until the task ends.
 * A dropped stream (server restart) resumes from the last event id.
 */
import type { ApiClient } from '../../client/api-client.js';
import type { RunLogEvent, RunSummary, TaskDetail } from '../../client/api-types.js';
import { isConductorError } from '../../core/errors.js';
import { waitForTask } from './conductor-wait.js';

/** Which of the run's streams to print; `none` only waits for the run to end. */
export type StreamChoice = 'both' | 'stdout' | 'stderr' | 'none';
/** Where streamed text goes: the run's stdout to ours, its stderr to ours, unless redirected. */
export type LogSink = (stream: 'stdout' | 'stderr', text: string) => void;

export const toStdio: LogSink = (stream, text) => {
  (stream === 'stderr' ? process.stderr : process.stdout).write(text);
};

/** Everything to stderr: keeps stdout for `--json`. */
export const toStderr: LogSink = (_stream, text) => {
  process.stderr.write(text);
};

const RECONNECT_GRACE_MS = 30_000;
const RECONNECT_DELAY_MS = 500;

/** Print one run's output as it is written; returns the final status event (if any). */
export async function followRun(
  client: ApiClient,
  runId: string,
  streams: StreamChoice = 'both',
  sink: LogSink = toStdio,
): Promise<RunSummary | undefined> {
  let lastEventId: string | undefined;
  let status: RunSummary | undefined;
  let failingSince: number | undefined;
  for (;;) {
    try {
      for await (const event of client.runStream(runId, { lastEventId })) {
        failingSince = undefined;
        if (event.id !== undefined) lastEventId = event.id;
        if (event.event === 'log') {
          const log = JSON.parse(event.data) as RunLogEvent;
          if (streams === 'none' || (streams !== 'both' && streams !== log.stream)) continue;
          sink(log.stream, log.text);
        } else if (event.event === 'status') {
          status = JSON.parse(event.data) as RunSummary;
        }
      }
      return status;
    } catch (error) {
      // Only a lost connection is worth retrying; 404 and friends are final.
      if (!isConductorError(error) || error.family !== 'retriable') throw error;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > RECONNECT_GRACE_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
  }
}

/**
 * Follow a task: its latest run, then every run the loop starts after it, until the task
 * is done, failed or stopped. Returns the final task.
 */
export async function followTask(
  client: ApiClient,
  projectId: string,
  taskId: string,
  options: { streams?: StreamChoice; timeoutMs?: number | undefined; sink?: LogSink } = {},
): Promise<TaskDetail> {
  const followed = new Set<string>();
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  for (;;) {
    const task = await waitForTask(client, projectId, taskId, {
      timeoutMs: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      until: (t) => newestUnfollowed(t, followed) !== undefined,
    });
    const next = newestUnfollowed(task, followed);
    if (next === undefined) return task; // terminal, nothing left to print
    followed.add(next);
    // A run that already ended is replayed from its files by the server, then the stream ends.
    await followRun(client, next, options.streams ?? 'both', options.sink);
  }
}

function newestUnfollowed(task: TaskDetail, followed: Set<string>): string | undefined {
  const latest = task.latest_run_id ?? task.runs?.[task.runs.length - 1]?.run_id;
  return latest !== undefined && !followed.has(latest) ? latest : undefined;
}
