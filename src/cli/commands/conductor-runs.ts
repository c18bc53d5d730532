/** `conductor runs list|show|stop`: runs across the server, newest first. */
import type { Command } from 'commander';
import { addScopeOptions } from '../options.js';
import { subcommand } from '../program.js';
import { addClientOptions, type ClientFlags } from './conductor-options.js';

interface RunsListFlags extends ClientFlags {
  projectId?: string;
  project?: string;
  taskId?: string;
  task?: string;
  status?: string;
  agent?: string;
  limit?: string;
}

export function registerRunsCommands(program: Command): void {
  const runs = subcommand(program, 'runs', 'List, show and stop runs on a conductor server');
  addClientOptions(
    addScopeOptions(subcommand(runs, 'list', 'List runs, newest first'))
      .option('--status <status>', 'only runs in this status (running, completed, failed, ...)')
      .option('--agent <name>', 'only runs of this agent')
      .option('--limit <n>', 'at most this many runs', '50'),
  ).action(async (flags: RunsListFlags) => listRuns(flags));
  addClientOptions(subcommand(runs, 'show <run-id>', 'Show one run (all run-info fields)')).action(
    async (runId: string, flags: ClientFlags) => showRun(runId, flags),
  );
  addClientOptions(subcommand(runs, 'stop <run-id>', 'Stop one run')).action(
    async (runId: string, flags: ClientFlags) => stopRun(runId, flags),
  );
}

async function listRuns(flags: RunsListFlags): Promise<void> {
  const { clientFrom, printJson, printLine } = await import('./conductor-options.js');
  const { cell, formatDuration, table } = await import('./conductor-format.js');
  const { parseIntFlag } = await import('../options.js');
  const client = await clientFrom(flags);
  const page = await client.runs({
    project_id: flags.projectId ?? flags.project,
    task_id: flags.taskId ?? flags.task,
    status: flags.status,
    agent: flags.agent,
    limit: parseIntFlag(flags.limit ?? '50', '--limit', 1),
  });
  if (flags.json === true) {
    printJson(page);
    return;
  }
  if (page.runs.length === 0) {
    process.stderr.write('no runs\n');
    return;
  }
  printLine(
    table(
      ['RUN', 'PROJECT', 'TASK', 'AGENT', 'STATUS', 'EXIT', 'DURATION', 'STARTED'],
      page.runs.map((r) => [
        r.run_id,
        r.project_id,
        r.task_id,
        cell(r.agent),
        r.status,
        cell(r.exit_code),
        formatDuration(r.duration_ms),
        cell(r.start_time),
      ]),
    ),
  );
  if (page.has_more) process.stderr.write(`(${page.runs.length} of ${page.total}; use --limit)\n`);
}

async function showRun(runId: string, flags: ClientFlags): Promise<void> {
  const { clientFrom, printJson, printLine } = await import('./conductor-options.js');
  const { cell } = await import('./conductor-format.js');
  const { parseRunId } = await import('../../core/ids.js');
  const client = await clientFrom(flags);
  const run = await client.run(parseRunId(runId));
  if (flags.json === true) {
    printJson(run);
    return;
  }
  const width = Math.max(...Object.keys(run).map((k) => k.length)) + 2;
  printLine(
    Object.entries(run)
      .map(([k, v]) => `${`${k}:`.padEnd(width)}${cell(v)}`)
      .join('\n'),
  );
}

async function stopRun(runId: string, flags: ClientFlags): Promise<void> {
  const { clientFrom, printJson, printLine } = await import('./conductor-options.js');
  const { parseRunId } = await import('../../core/ids.js');
  const client = await clientFrom(flags);
  const result = await client.stopRun(parseRunId(runId));
  if (flags.json === true) printJson(result);
  else printLine(`${runId}: ${result.status}`);
}
