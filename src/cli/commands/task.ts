/**
 * `run-agent task` (the Ralph loop) and its subcommands `resume`, `delete`, `cancel`.
 * `run-agent task ... &` then `wait $PID` gives the task's exit code: 0 done, 1 retriable
 * failure (retries exhausted, max restarts, stopped), 2 permanent, 3 configuration.
 */
import { resolveTaskTarget, type TaskTarget } from './run-target.js';
import type { Command } from 'commander';
import {
  addRunOptions,
  addScopeOptions,
  collectList,
  parseDurationMs,
  parseIntFlag,
  readPromptFlags,
  scopeFromFlags,
  type RunFlags,
} from '../options.js';
import { subcommand } from '../program.js';
import { abortOnInterrupt } from './interrupt.js';

export interface TaskFlags extends RunFlags {
  dependsOn?: string[];
  dependencyPollInterval?: string;
  maxRestarts?: string;
  restartDelay?: string;
  maxRetries?: string;
  retryDelay?: string;
  childWaitTimeout?: string;
  childPollInterval?: string;
}

/** Options shared by `task` and `task resume` / `resume`: the run options plus the loop's. */
export function addLoopOptions(cmd: Command): Command {
  return addRunOptions(cmd, 'prompt text (default: the task folder TASK.md)')
    .option(
      '--max-restarts <n>',
      'restarts after a successful exit without DONE (default 100; resume: 3)',
    )
    .option('--restart-delay <duration>', 'pause before a restart (default 1s)')
    .option('--max-retries <n>', 'retries after a retriable failure (default: agent, 3)')
    .option('--retry-delay <duration>', 'first retry backoff, doubled each retry (default 2s)')
    .option('--child-wait-timeout <duration>', 'how long DONE waits for child runs (default 300s)')
    .option('--child-poll-interval <duration>', 'child run poll interval (default 1s)');
}

export function registerTaskCommand(program: Command): void {
  const cmd = subcommand(program, 'task', 'Run a task with the Ralph loop (restart until DONE)');
  addLoopOptions(cmd)
    .option(
      '--depends-on <ids>',
      'tasks that must be DONE first (repeat or comma-separate)',
      collectList,
    )
    .option('--dependency-poll-interval <duration>', 'dependency check interval (default 2s)')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 retriable failure (retries exhausted, max restarts, stopped),\n' +
        '2 permanent failure, 3 configuration error.',
    )
    .action(async (flags: TaskFlags) => {
      await runLoopFromFlags(flags, 'task');
    });

  // The parent `task` shares option names, so Commander may hand them to it: merge both.
  addLoopOptions(subcommand(cmd, 'resume', 'Resume a stopped, failed or finished task')).action(
    async (_flags: TaskFlags, sub: Command) => {
      await runLoopFromFlags(sub.optsWithGlobals<TaskFlags>(), 'resume');
    },
  );

  addScopeOptions(subcommand(cmd, 'delete', 'Delete a task and all its runs'))
    .option('--root <dir>', 'runs root')
    .option('--force', 'stop its loop and running runs first')
    .action(async (_flags: TaskFlags, sub: Command) => {
      await deleteTaskCommand(sub.optsWithGlobals<TaskFlags & { force?: boolean }>());
    });

  addScopeOptions(subcommand(cmd, 'cancel', 'Mark a task cancelled (CANCELLED marker with reason)'))
    .option('--root <dir>', 'runs root')
    .requiredOption('--reason <text>', 'why the task is cancelled')
    .action(async (_flags: TaskFlags, sub: Command) => {
      await cancelTaskCommand(sub.optsWithGlobals<TaskFlags & { reason: string }>());
    });
}

const durationOf = (value: string | undefined, flag: string): number | undefined =>
  value === undefined ? undefined : parseDurationMs(value, flag);
const intOf = (value: string | undefined, flag: string): number | undefined =>
  value === undefined ? undefined : parseIntFlag(value, flag);

/** Drop undefined values so optional loop options keep their defaults. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `task` and `resume`: parse flags, run the loop, report, exit with the loop's code. */
export async function runLoopFromFlags(flags: TaskFlags, mode: 'task' | 'resume'): Promise<void> {
  const [{ loadConfig }, layout, ids, errors, loop, { selectAgent }, taskFiles] = await Promise.all(
    [
      import('../../core/config.js'),
      import('../../core/layout.js'),
      import('../../core/ids.js'),
      import('../../core/errors.js'),
      import('../../runner/task-loop.js'),
      import('../../runner/agent-select.js'),
      import('../../core/task-files.js'),
    ],
  );
  const prompt = await readPromptFlags(flags);
  const config = loadConfig({ configPath: flags.config });
  const root = layout.resolveRoot({ flag: flags.root, configRunsDir: config.storage.runsDir });
  const scope = scopeFromFlags(flags);
  if (scope.projectId === undefined) {
    throw new errors.ValidationError(
      'no project: use --project-id (or run inside an agent with JRUN_PROJECT_ID)',
    );
  }
  if (mode === 'resume' && scope.taskId === undefined) {
    throw new errors.ValidationError('which task? --task-id is required to resume');
  }
  // Inside an agent, JRUN_TASK_ID is the agent's own task: a new `task` without --task-id is a
  // new task (generated id), never a second loop of the caller's.
  const explicitTask = flags.taskId ?? flags.task;
  const taskId = (mode === 'resume' ? scope.taskId : explicitTask) ?? ids.generateTaskId(prompt);
  const agent = selectAgent(flags.agent, config);
  const parentRunId = flags.parentRunId ?? (process.env.JRUN_ID || undefined);
  const taskDir = layout.taskDir(root, scope.projectId, taskId);
  if (mode === 'resume') {
    if (!layout.isDirectory(taskDir)) {
      throw new errors.NotFoundError(`task ${scope.projectId}/${taskId} not found (${taskDir})`);
    }
    taskFiles.clearDone(taskDir);
    taskFiles.clearStopRequested(taskDir);
  }

  // The loop supervises agents for a long time: a reader that goes away (`| head`) must not
  // kill it with EPIPE; only the messages are lost.
  process.stdout.on('error', () => undefined);
  const interrupt = abortOnInterrupt();
  if (!flags.json) process.stdout.write(`project_id: ${scope.projectId}\ntask_id: ${taskId}\n`);
  try {
    const result = await loop.runTask(
      defined({
        root,
        projectId: scope.projectId,
        taskId,
        agent,
        prompt,
        cwd: flags.cwd,
        dependsOn: flags.dependsOn,
        dependencyPollMs: durationOf(flags.dependencyPollInterval, '--dependency-poll-interval'),
        maxRestarts:
          intOf(flags.maxRestarts, '--max-restarts') ??
          (mode === 'resume' ? loop.DEFAULT_RESUME_MAX_RESTARTS : config.defaults.maxRestarts),
        restartDelayMs:
          durationOf(flags.restartDelay, '--restart-delay') ?? config.defaults.restartDelayMs,
        maxRetries: intOf(flags.maxRetries, '--max-retries'),
        retryBaseDelayMs: durationOf(flags.retryDelay, '--retry-delay'),
        timeoutMs: durationOf(flags.timeout, '--timeout'),
        idleTimeoutMs: durationOf(flags.idleTimeout, '--idle-timeout'),
        stopGraceMs: durationOf(flags.stopGrace, '--stop-grace') ?? config.defaults.stopGraceMs,
        childWaitTimeoutMs:
          durationOf(flags.childWaitTimeout, '--child-wait-timeout') ??
          config.defaults.childWaitTimeoutMs,
        childPollMs: durationOf(flags.childPollInterval, '--child-poll-interval'),
        maxConcurrent:
          intOf(flags.maxConcurrent, '--max-concurrent') ?? config.defaults.maxConcurrentRuns,
        conductorUrl: flags.conductorUrl,
        layout: config.storage.layout,
        minFreeBytes: config.storage.minFreeBytes,
        maxLogBytes: config.storage.maxLogBytes,
        parentRunId,
        requestsPerDay: config.rateLimits.perAgent.requestsPerDay,
        resume: mode === 'resume',
        signal: interrupt.signal,
        onRunStarted: flags.json
          ? undefined
          : (run: { runId: string; attempt: number }) =>
              process.stdout.write(`run_id: ${run.runId} (attempt ${run.attempt})\n`),
      }),
    );
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`status: ${result.status} (exit code ${result.exitCode})\n`);
    }
    if (result.exitCode !== 0) {
      throw new errors.ConductorError(
        errors.familyOfExitCode(result.exitCode),
        'TASK_FAILED',
        `task ${scope.projectId}/${taskId} ${result.status}: ${result.errorSummary ?? result.status}`,
      );
    }
  } finally {
    interrupt.dispose();
  }
}

function taskTarget(flags: TaskFlags): Promise<TaskTarget> {
  return resolveTaskTarget(flags, 'which task? use --project-id and --task-id');
}

async function deleteTaskCommand(flags: TaskFlags & { force?: boolean }): Promise<void> {
  const [errors, layout, { deleteTask }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/layout.js'),
    import('../../runner/task-admin.js'),
  ]);
  const target = await taskTarget(flags);
  if (!layout.isDirectory(target.taskDir)) {
    throw new errors.NotFoundError(
      `task ${target.projectId}/${target.taskId} not found (${target.taskDir})`,
    );
  }
  await deleteTask(target.taskDir, { force: flags.force ?? false });
  process.stdout.write(`deleted task ${target.projectId}/${target.taskId}\n`);
}

async function cancelTaskCommand(flags: TaskFlags & { reason: string }): Promise<void> {
  const [errors, layout, taskFiles] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/layout.js'),
    import('../../core/task-files.js'),
  ]);
  const target = await taskTarget(flags);
  if (!layout.isDirectory(target.taskDir)) {
    throw new errors.NotFoundError(
      `task ${target.projectId}/${target.taskId} not found (${target.taskDir})`,
    );
  }
  if (flags.reason.trim() === '') throw new errors.ValidationError('--reason must not be empty');
  taskFiles.writeCancelled(target.taskDir, flags.reason);
  process.stdout.write(
    `cancelled task ${target.projectId}/${target.taskId}: ${flags.reason.trim()}\n`,
  );
}
