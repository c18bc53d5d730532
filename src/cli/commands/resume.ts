/**
 * `run-agent resume` and `run-agent task resume`: remove DONE (and a stop request), reset the
 * loop counters and run the task again; every run gets the restart prompt prefix. Max restarts
 * defaults to 3 here.
 */
import type { Command } from 'commander';
import { subcommand } from '../program.js';
import { addLoopOptions, type TaskFlags } from './task.js';

export function registerResumeCommand(program: Command): void {
  addLoopOptions(
    subcommand(program, 'resume', 'Resume a task: remove DONE and run it again'),
  ).action(async (flags: TaskFlags) => {
    const { runLoopFromFlags } = await import('./task.js');
    await runLoopFromFlags(flags, 'resume');
  });
}
