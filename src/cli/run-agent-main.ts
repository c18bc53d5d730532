import type { Command } from 'commander';
import { runMain } from './exit.js';
import { createProgram } from './program.js';
import { registerLazily } from './lazy-commands.js';

/** Top-level command -> module that registers it. Only the invoked one is loaded. */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  bus: async () => (await import('./commands/bus.js')).registerBusCommands,
  job: async () => (await import('./commands/job.js')).registerJobCommand,
  stop: async () => (await import('./commands/stop.js')).registerStopCommand,
  output: async () => (await import('./commands/output.js')).registerOutputCommand,
  task: async () => (await import('./commands/task.js')).registerTaskCommand,
  resume: async () => (await import('./commands/resume.js')).registerResumeCommand,
  list: async () => (await import('./commands/list.js')).registerListCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  serve: async () => (await import('./commands/serve.js')).registerServeCommand,
  __internal: async () =>
    (await import('./commands/internal-agents.js')).registerInternalAgentCommands,
};

export async function main(argv: string[]): Promise<void> {
  await runMain('run-agent', async () => {
    const program = createProgram(
      'run-agent',
      'Conductor Loop runner: run agents, restart tasks, use the message bus',
    );
    const name = argv[0]?.startsWith('__') ? '__internal' : argv[0];
    await registerLazily(program, COMMANDS, name);
    await program.parseAsync(argv, { from: 'user' });
  });
}
