/**
 * Start-up reconciliation: every run the index shows as running is handed to the runner's
 * adoptRun, which finishes it from disk (exit file -> its code; process group gone ->
 * `crashed` with a note) or waits for it so stop and completion keep working. Task loops
 * whose owner died are adopted by the task-loop binding.
 */
import { isTerminalStatus } from '../core/run-info.js';
import { adoptRun } from '../runner/job.js';
import type { ServerContext } from './context.js';
import { adoptLoops } from './task-loop-binding.js';
import { ownedLoops } from './task-service.js';

export interface Adoption {
  runId: string;
  done: Promise<void>;
}

/** Adopted runs this process watches, so shutdown can stop them when asked to. */
export const adoptions = new Map<string, { controller: AbortController; done: Promise<void> }>();

export function reconcileRuns(
  ctx: ServerContext,
  skip: ReadonlySet<string> = new Set(),
): Adoption[] {
  const started: Adoption[] = [];
  for (const run of ctx.index.runs.values()) {
    const info = run.info;
    // Queued runs without a process are still waiting for a slot in their owner's process.
    if (isTerminalStatus(info.status) || info.pgid <= 1 || adoptions.has(info.run_id)) continue;
    if (skip.has(info.run_id)) continue;
    const [projectId = '', taskId = ''] = run.taskKey.split('/');
    const controller = new AbortController();
    const done = adoptRun(run.runDir, {
      signal: controller.signal,
      stopGraceMs: ctx.config.defaults.stopGraceMs,
    })
      .then((result) => {
        ctx.logger.info(
          {
            run_id: info.run_id,
            task_id: taskId,
            agent: info.agent,
            status: result.status,
            exit_code: result.exitCode,
          },
          'adopted run finished',
        );
      })
      .catch((error: unknown) => {
        ctx.logger.warn({ err: error, run_id: info.run_id }, 'cannot adopt run');
      })
      .finally(() => {
        adoptions.delete(info.run_id);
        ctx.index.refreshRun(run.runDir, projectId, taskId);
      });
    adoptions.set(info.run_id, { controller, done });
    started.push({ runId: info.run_id, done });
  }
  if (started.length > 0) ctx.logger.info({ count: started.length }, 'adopting runs left running');
  return started;
}

/** Adopt orphaned task loops (they adopt their current run), then every other live run. */
export function reconcileRoot(ctx: ServerContext): Adoption[] {
  const loopRuns = adoptLoops(ctx, (key, controller, done) => {
    ownedLoops.set(key, { controller, done });
    void done.finally(() => ownedLoops.delete(key));
  });
  return reconcileRuns(ctx, loopRuns);
}
