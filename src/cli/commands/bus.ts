import type { Command } from 'commander';
import { subcommand } from '../program.js';

/** `run-agent bus post|read|discover` (implemented by the bus work). */
export function registerBusCommands(program: Command): void {
  subcommand(program, 'bus', 'Read and post messages to the message bus');
}
