/**
 * `run-agent list`: projects; with `--project`, its tasks; with `--task` too, the task's runs.
 * Tables as the reference prints them (fixtures/reference/cli-output.txt), or `--json`.
 */
import type { Command } from 'commander';
import { addScopeOptions } from '../options.js';
import { subcommand } from '../program.js';
import { assertScopeExists, queryTasks, type TaskQueryFlags } from './status.js';
import { formatTable, shortDuration, shortTime } from './table.js';

export function registerListCommand(program: Command): void {
  const cmd = subcommand(program, 'list', 'List projects, tasks (--project) or runs (--task)');
  addScopeOptions(cmd)
    .option('--root <dir>', 'runs root (default: $CONDUCTOR_ROOT or ./runs)')
    .option('--status <status>', 'filter tasks: running, active, done, failed, blocked')
    .option('--json', 'print JSON')
    .action(async (flags: TaskQueryFlags) => {
      await listCommand(flags);
    });
}

async function listCommand(flags: TaskQueryFlags): Promise<void> {
  const [layout, store, summary, errors] = await Promise.all([
    import('../../core/layout.js'),
    import('../../core/store.js'),
    import('../../runner/task-summary.js'),
    import('../../core/errors.js'),
  ]);
  const root = layout.resolveRoot({ flag: flags.root });
  // Only explicit flags here: JRUN_* would turn a plain `list` inside an agent into a task list.
  const projectId = flags.projectId ?? flags.project;
  const taskId = flags.taskId ?? flags.task;
  if (projectId === undefined) {
    if (taskId !== undefined) throw new errors.ValidationError('--task needs --project');
    const projects = store.listProjects(root);
    if (flags.json) process.stdout.write(`${JSON.stringify({ projects }, null, 2)}\n`);
    else if (projects.length > 0) process.stdout.write(`${projects.join('\n')}\n`);
    return;
  }
  await assertScopeExists(root, projectId, taskId);
  if (taskId !== undefined) {
    const runs = await summary.taskRuns(root, projectId, taskId);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
      return;
    }
    const rows = runs.map((r) => [
      r.run_id,
      r.status,
      String(r.exit_code),
      shortTime(r.start_time, true),
      r.duration_ms === null ? '-' : shortDuration(r.duration_ms),
    ]);
    process.stdout.write(
      formatTable(['RUN_ID', 'STATUS', 'EXIT_CODE', 'STARTED', 'DURATION'], rows),
    );
    return;
  }
  const tasks = await queryTasks(root, projectId, undefined, flags.status);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ tasks }, null, 2)}\n`);
    return;
  }
  const rows = tasks.map((t) => [
    t.task_id,
    String(t.run_count),
    t.latest_run_status || '-',
    t.done ? 'DONE' : '-',
    t.blocked_by.length > 0 ? t.blocked_by.join(',') : '-',
    t.last_activity ? shortTime(t.last_activity, false) : '-',
  ]);
  process.stdout.write(
    formatTable(['TASK_ID', 'RUNS', 'LATEST_STATUS', 'DONE', 'BLOCKED_BY', 'LAST_ACTIVITY'], rows),
  );
}
