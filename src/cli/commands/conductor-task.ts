/**
 * `conductor task ...`: create and manage tasks on a conductor server. Definitions only;
 * each action loads its implementation (and the API client) when it runs.
 */
import type { Command } from 'commander';
import { addScopeOptions, collectList } from '../options.js';
import { subcommand } from '../program.js';
import { addClientOptions } from './conductor-options.js';
import type { DeleteFlags, ListFlags, TaskRefFlags, WaitFlags } from './conductor-task-actions.js';
import type { CreateFlags } from './conductor-task-create.js';
import type { LogsFlags } from './conductor-task-logs.js';

type Positional = string | undefined;

export function registerTaskCommands(program: Command): void {
  const task = subcommand(program, 'task', 'Create and manage tasks on a conductor server');

  const create = subcommand(task, 'create', 'Create a task and start its loop; prints the task id');
  addScopeOptions(create)
    .option('--agent <name>', 'agent name from config.yaml or a built-in type (claude, codex, ...)')
    .option('--agent-type <name>', 'alias of --agent')
    .option('--prompt <text>', 'the prompt text')
    .option('--prompt-file <path>', 'read the prompt from this file (read locally)')
    .option('--cwd <dir>', 'working directory of the agent')
    .option(
      '--depends-on <task-ids>',
      'wait for these tasks first (repeat or comma-separate)',
      collectList,
    )
    .option('--timeout <duration>', 'total run timeout: seconds or 30s, 5m, 1h')
    .option('--max-restarts <n>', 'restart limit of the task loop')
    .option('--wait', 'wait until the task is done or failed; exit code tells the outcome')
    .option('--follow', "stream the runs' output until the task ends (implies --wait)")
    .option('--wait-timeout <duration>', 'give up waiting after this long (exit 1)');
  addClientOptions(create).action(async (flags: CreateFlags) =>
    (await import('./conductor-task-create.js')).createTask(flags),
  );

  const list = subcommand(task, 'list', 'List tasks (all projects unless --project-id)');
  addScopeOptions(list, { task: false })
    .option('--status <status>', 'only tasks in this status (queued, running, done, failed, ...)')
    .option('--agent <name>', 'only tasks of this agent');
  addClientOptions(list).action(async (flags: ListFlags) =>
    (await import('./conductor-task-actions.js')).listTasks(flags),
  );

  const withRef = (name: string, description: string): Command =>
    addClientOptions(addScopeOptions(subcommand(task, `${name} [project] [task]`, description)));

  withRef('show', 'Show a task and its runs').action(
    async (p: Positional, t: Positional, flags: TaskRefFlags) =>
      (await import('./conductor-task-actions.js')).showTask([p, t], flags),
  );
  withRef('stop', "Stop a task's loop and its running runs").action(
    async (p: Positional, t: Positional, flags: TaskRefFlags) =>
      (await import('./conductor-task-actions.js')).stopTask([p, t], flags),
  );
  withRef('resume', 'Resume a stopped or done task (removes DONE/STOP-REQUESTED)').action(
    async (p: Positional, t: Positional, flags: TaskRefFlags) =>
      (await import('./conductor-task-actions.js')).resumeTask([p, t], flags),
  );
  withRef('delete', 'Delete a task and its runs (refused while running unless --force)')
    .option('--force', 'stop the task first if it is running')
    .action(async (p: Positional, t: Positional, flags: DeleteFlags) =>
      (await import('./conductor-task-actions.js')).deleteTask([p, t], flags),
    );
  withRef('wait', 'Wait until a task is done or failed; exit code tells the outcome')
    .option('--timeout <duration>', 'give up after this long (exit 1)')
    .action(async (p: Positional, t: Positional, flags: WaitFlags) =>
      (await import('./conductor-task-actions.js')).waitTask([p, t], flags),
    );
  withRef('logs', "Print or follow the output of a task's latest run")
    .option('--run <run-id>', 'a specific run instead of the latest')
    .option('--follow', 'stream output live until the task (or --run) ends')
    .option('--file <name>', 'output (output.md, default), stdout, stderr or prompt')
    .option('--tail <bytes>', 'only the last N bytes')
    .action(async (p: Positional, t: Positional, flags: LogsFlags) =>
      (await import('./conductor-task-logs.js')).taskLogs([p, t], flags),
    );
}
