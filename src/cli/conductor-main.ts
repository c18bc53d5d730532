import { runMain } from './exit.js';
import { createProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('conductor', async () => {
    const program = createProgram('conductor', 'Conductor Loop: server, web UI and task client');
    (await import('./commands/conductor-task.js')).registerTaskCommands(program);
    (await import('./commands/conductor-status.js')).registerStatusCommand(program);
    (await import('./commands/conductor-runs.js')).registerRunsCommands(program);
    (await import('./commands/conductor-bus.js')).registerBusCommands(program);
    await program.parseAsync(argv, { from: 'user' });
  });
}
