import { runMain } from './exit.js';
import { createProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('conductor', async () => {
    const program = createProgram('conductor', 'Conductor Loop: server, web UI and task client');
    (await import('./commands/conductor-task.js')).registerTaskCommands(program);
    (await import('./commands/conductor-status.js')).registerStatusCommand(program);
    (await import('./commands/conductor-runs.js')).registerRunsCommands(program);
    (await import('./commands/conductor-bus.js')).registerBusCommands(program);
    (await import('./commands/backup.js')).registerBackupCommand(program);
    (await import('./commands/restore.js')).registerRestoreCommand(program);
    (await import('./commands/gc.js')).registerGcCommand(program);
    (await import('./commands/doctor.js')).registerDoctorCommand(program);
    (await import('./commands/serve.js')).registerServeCommand(program);
    await program.parseAsync(argv, { from: 'user' });
  });
}
