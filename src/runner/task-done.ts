/**
 * DONE handling of the task loop (compat.md §8): wait for the task's child runs (and processes
 * its runs left behind) up to the child wait timeout, say so on the task bus, then propagate
 * the completion FACT to the project bus once.
 */
import { log } from '../core/log.js';
import { DEFAULT_CHILD_WAIT_TIMEOUT_MS, waitForChildren, type ChildRun } from './children.js';
import { propagateCompletionFact } from './fact-propagation.js';

export interface DoneOptions {
  root: string;
  projectId: string;
  taskId: string;
  childWaitTimeoutMs?: number;
  childPollMs?: number;
  signal?: AbortSignal;
}

function childLabel(child: ChildRun): string {
  return child.kind === 'run' ? child.runId : `${child.runId} (background processes)`;
}

/** DONE handling: wait for child runs, then propagate the completion FACT (compat §8). */
export async function finishDone(
  opts: DoneOptions,
  post: (type: string, body: string) => Promise<void>,
): Promise<void> {
  const timeoutMs = opts.childWaitTimeoutMs ?? DEFAULT_CHILD_WAIT_TIMEOUT_MS;
  const waited = await waitForChildren({
    root: opts.root,
    projectId: opts.projectId,
    taskId: opts.taskId,
    timeoutMs,
    ...(opts.childPollMs !== undefined ? { pollMs: opts.childPollMs } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    onWaiting: (children) => {
      void post(
        'INFO',
        `waiting for ${children.length} children to complete: ${children.map(childLabel).join(', ')}`,
      );
    },
  });
  switch (waited.kind) {
    case 'none':
      await post('INFO', 'task completed (DONE marker present, no active children)');
      break;
    case 'finished':
      await post('INFO', 'task completed (all children finished)');
      break;
    case 'timeout':
      await post(
        'WARNING',
        `timeout waiting for children after ${Math.round(waited.waitedMs / 1000)}s: ${waited.remaining.map(childLabel).join(', ')}`,
      );
      break;
    case 'aborted':
      break;
  }
  try {
    await propagateCompletionFact({
      root: opts.root,
      projectId: opts.projectId,
      taskId: opts.taskId,
    });
  } catch (error) {
    // The task is done either way; a later loop over it retries the propagation.
    log().warn({ err: error, taskId: opts.taskId }, 'completion FACT propagation failed');
  }
}
