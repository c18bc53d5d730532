import type { Command } from 'commander';
import { runMain } from './exit.js';
import { createProgram } from './program.js';
import { registerLazily } from './lazy-commands.js';

/** Top-level command -> module that registers it. Only the invoked one is loaded. */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  serve: async () => (await import('./commands/serve.js')).registerServeCommand,
  task: async () => (await import('./commands/conductor-task.js')).registerTaskCommands,
  status: async () => (await import('./commands/conductor-status.js')).registerStatusCommand,
  runs: async () => (await import('./commands/conductor-runs.js')).registerRunsCommands,
  bus: async () => (await import('./commands/conductor-bus.js')).registerBusCommands,
  backup: async () => (await import('./commands/backup.js')).registerBackupCommand,
  restore: async () => (await import('./commands/restore.js')).registerRestoreCommand,
  gc: async () => (await import('./commands/gc.js')).registerGcCommand,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
};

export async function main(argv: string[]): Promise<void> {
  await runMain('conductor', async () => {
    const program = createProgram('conductor', 'Conductor Loop: server, web UI and task client');
    await registerLazily(program, COMMANDS, argv[0]);
    await program.parseAsync(argv, { from: 'user' });
  });
}
