import { runMain } from './exit.js';
import { createProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('conductor', async () => {
    const program = createProgram('conductor', 'Conductor Loop: server, web UI and task client');
    await program.parseAsync(argv, { from: 'user' });
  });
}
