/**
 * Commander setup shared by the three CLIs: usage errors become one `Error:` line and
 * exit 2; help and version exit 0. Command modules register options here and load
 * their implementation lazily inside the action, so start-up stays cheap.
 */
import { Command } from 'commander';
import { VERSION } from './version.js';

export function createProgram(name: string, description: string): Command {
  const program = new Command(name);
  program
    .description(description)
    .version(`${name} version ${VERSION}`, '-v, --version', 'print the version')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .enablePositionalOptions(false);
  configureCommand(program);
  return program;
}

/** Apply our error/output conventions to a command (Commander does not inherit all of them). */
export function configureCommand(cmd: Command): Command {
  return cmd.exitOverride().configureOutput({
    outputError: (text, write) => {
      const line = text.trim().replace(/^error: /, '');
      write(`Error: ${line.split('\n')[0] ?? line}\n`);
    },
  });
}

/** Create a subcommand with our conventions. */
export function subcommand(parent: Command, nameAndArgs: string, description: string): Command {
  const cmd = parent.command(nameAndArgs).description(description);
  configureCommand(cmd);
  return cmd;
}
