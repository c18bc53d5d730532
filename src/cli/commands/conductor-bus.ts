/** `conductor bus read|post`: the message bus through the server's API. */
import type { Command } from 'commander';
import { addScopeOptions } from '../options.js';
import { subcommand } from '../program.js';
import { addClientOptions } from './conductor-options.js';
import type { PostFlags, ReadFlags } from './conductor-bus-actions.js';

export function registerBusCommands(program: Command): void {
  const bus = subcommand(program, 'bus', 'Read and post message bus messages through the server');
  addClientOptions(
    addScopeOptions(subcommand(bus, 'read', 'Print a project or task bus'))
      .option('--since <msg-id>', 'only messages after this one')
      .option('--type <type>', 'only messages of this type')
      .option('--limit <n>', 'at most this many (the newest)')
      .option('--follow', 'keep printing new messages'),
  ).action(async (flags: ReadFlags) => (await import('./conductor-bus-actions.js')).readBus(flags));
  addClientOptions(
    addScopeOptions(subcommand(bus, 'post', 'Post a message to a project or task bus'))
      .option('--run-id <run-id>', 'the run the message is about')
      .option('--type <type>', 'message type (FACT, PROGRESS, QUESTION, ...)', 'INFO')
      .option('--body <text>', 'message body (default: read stdin)'),
  ).action(async (flags: PostFlags) => (await import('./conductor-bus-actions.js')).postBus(flags));
}
