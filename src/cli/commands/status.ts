/**
 * `run-agent status --project [--task]`: the latest run of each task, whether it is DONE and
 * whether its process is alive (`--concise`: tab-separated rows, `--json`).
 */
import type { Command } from 'commander';
import type { TaskRow } from '../../runner/task-summary.js';
import { addScopeOptions, type ScopeFlags } from '../options.js';
import { subcommand } from '../program.js';
import { formatTable } from './table.js';

/** The flags `status` and `list` read the same way. */
export interface TaskQueryFlags extends ScopeFlags {
  root?: string;
  status?: string;
  json?: boolean;
}

interface StatusFlags extends TaskQueryFlags {
  concise?: boolean;
}

export function registerStatusCommand(program: Command): void {
  const cmd = subcommand(program, 'status', 'Show the latest run status of the tasks of a project');
  addScopeOptions(cmd)
    .option('--root <dir>', 'runs root (default: $CONDUCTOR_ROOT or ./runs)')
    .option(
      '--status <status>',
      'filter: running, active, completed, failed, blocked, done, pending',
    )
    .option('--concise', 'tab-separated rows: task_id status exit_code latest_run done pid_alive')
    .option('--json', 'print JSON')
    .action(async (flags: StatusFlags) => {
      await statusCommand(flags);
    });
}

/** NotFoundError unless the project, and the task when one is given, exist under `root`. */
export async function assertScopeExists(
  root: string,
  projectId: string,
  taskId: string | undefined,
): Promise<void> {
  const [layout, { NotFoundError }] = await Promise.all([
    import('../../core/layout.js'),
    import('../../core/errors.js'),
  ]);
  if (!layout.isDirectory(layout.projectDir(root, projectId))) {
    throw new NotFoundError(`project ${projectId} not found in ${root}`);
  }
  if (taskId !== undefined && !layout.isDirectory(layout.taskDir(root, projectId, taskId))) {
    throw new NotFoundError(`task ${projectId}/${taskId} not found`);
  }
}

/** The project's task rows (just the one task's when `taskId` is given) that match `--status`. */
export async function queryTasks(
  root: string,
  projectId: string,
  taskId: string | undefined,
  status: string | undefined,
): Promise<TaskRow[]> {
  const summary = await import('../../runner/task-summary.js');
  const tasks =
    taskId !== undefined
      ? [await summary.summarizeTask(root, projectId, taskId)]
      : await summary.summarizeTasks(root, projectId);
  return status === undefined ? tasks : tasks.filter((t) => summary.matchesTaskStatus(t, status));
}

async function statusCommand(flags: StatusFlags): Promise<void> {
  const [layout, errors] = await Promise.all([
    import('../../core/layout.js'),
    import('../../core/errors.js'),
  ]);
  const projectId = flags.projectId ?? flags.project ?? (process.env.JRUN_PROJECT_ID || undefined);
  if (projectId === undefined)
    throw new errors.ValidationError('which project? --project is required');
  const root = layout.resolveRoot({ flag: flags.root });
  const taskId = flags.taskId ?? flags.task;
  await assertScopeExists(root, projectId, taskId);
  const tasks = await queryTasks(root, projectId, taskId, flags.status);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ tasks }, null, 2)}\n`);
    return;
  }
  const rows = tasks.map((t) => [
    t.task_id,
    t.latest_run_status || t.status,
    t.latest_exit_code === null ? '-' : String(t.latest_exit_code),
    t.latest_run_id || '-',
    String(t.done),
    String(t.pid_alive),
    t.blocked_by.length > 0 ? t.blocked_by.join(',') : '-',
  ]);
  if (flags.concise) {
    process.stdout.write(rows.map((r) => `${r.slice(0, 6).join('\t')}\n`).join(''));
    return;
  }
  process.stdout.write(
    formatTable(
      ['TASK_ID', 'STATUS', 'EXIT_CODE', 'LATEST_RUN', 'DONE', 'PID_ALIVE', 'BLOCKED_BY'],
      rows,
    ),
  );
}
