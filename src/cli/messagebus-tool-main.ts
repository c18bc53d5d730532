import { runMain } from './exit.js';
import { createProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('messagebus-tool', async () => {
    const program = createProgram(
      'messagebus-tool',
      'Post to and read the Conductor Loop message bus',
    );
    await program.parseAsync(argv, { from: 'user' });
  });
}
