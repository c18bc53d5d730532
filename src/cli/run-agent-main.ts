import { runMain } from './exit.js';
import { createProgram } from './program.js';
import { registerBusCommands } from './commands/bus.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('run-agent', async () => {
    const program = createProgram(
      'run-agent',
      'Conductor Loop runner: run agents, restart tasks, use the message bus',
    );
    registerBusCommands(program);
    (await import('./commands/internal-agents.js')).registerInternalAgentCommands(program);
    (await import('./commands/job.js')).registerJobCommand(program);
    (await import('./commands/stop.js')).registerStopCommand(program);
    (await import('./commands/output.js')).registerOutputCommand(program);
    (await import('./commands/task.js')).registerTaskCommand(program);
    (await import('./commands/resume.js')).registerResumeCommand(program);
    (await import('./commands/list.js')).registerListCommand(program);
    (await import('./commands/status.js')).registerStatusCommand(program);
    (await import('./commands/serve.js')).registerServeCommand(program);
    await program.parseAsync(argv, { from: 'user' });
  });
}
