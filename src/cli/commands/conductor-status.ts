/** `conductor status`: the server's version, uptime, run counts, agents and running tasks. */
import type { Command } from 'commander';
import { subcommand } from '../program.js';
import { addClientOptions, type ClientFlags } from './conductor-options.js';

export function registerStatusCommand(program: Command): void {
  addClientOptions(subcommand(program, 'status', "Show the conductor server's status")).action(
    async (flags: ClientFlags) => showStatus(flags),
  );
}

async function showStatus(flags: ClientFlags): Promise<void> {
  const { clientFrom, printJson, printLine } = await import('./conductor-options.js');
  const { cell, formatUptime, table } = await import('./conductor-format.js');
  const client = await clientFrom(flags);
  const status = await client.status();
  if (flags.json === true) {
    printJson({ server: client.baseUrl, ...status });
    return;
  }
  const lines = [
    `server:        ${client.baseUrl}`,
    `version:       ${status.version}`,
    `uptime:        ${formatUptime(status.uptime_seconds)}`,
    `active runs:   ${status.active_runs_count}`,
    `queued runs:   ${cell(status.queued_runs_count)}`,
    `agents:        ${cell(status.configured_agents)}`,
  ];
  const running = status.running_tasks ?? [];
  if (running.length > 0) {
    lines.push(
      '',
      table(
        ['PROJECT', 'TASK', 'RUN', 'AGENT', 'STARTED'],
        running.map((r) => [
          r.project_id,
          r.task_id,
          cell(r.run_id),
          cell(r.agent),
          cell(r.started),
        ]),
      ),
    );
  }
  printLine(lines.join('\n'));
}
