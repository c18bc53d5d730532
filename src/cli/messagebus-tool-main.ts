import { runMain } from './exit.js';
import { createProgram } from './program.js';
import { addPostCommand, addReadCommand } from './commands/bus.js';

export async function main(argv: string[]): Promise<void> {
  await runMain('messagebus-tool', async () => {
    const program = createProgram(
      'messagebus-tool',
      'Post to and read the Conductor Loop message bus',
    );
    // `write "Multiple\nlines"` is one message with real newlines (the seed's batching advice).
    addPostCommand(program, 'write', {
      text: true,
      escapes: true,
      description:
        'Post one message (text words joined by spaces; \\n \\t \\\\ expanded; stdin if no text)',
    });
    addPostCommand(program, 'post', { description: 'Same as `run-agent bus post`' });
    addReadCommand(program, 'read');
    await program.parseAsync(argv, { from: 'user' });
  });
}
