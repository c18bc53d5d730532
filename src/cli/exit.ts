/**
 * The only place that turns errors into exit codes and one-line messages.
 * 0 success, 1 retriable, 2 permanent, 3 configuration. No stack traces for user errors;
 * an unexpected error prints one line too, with the stack only at CONDUCTOR_LOG_LEVEL=debug.
 */
import { CommanderError } from 'commander';
import { isConductorError, type ExitCode } from '../core/errors.js';

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Print `Error: <message>` to stderr and return the exit code for `error`. */
export function reportError(error: unknown, prog: string): ExitCode {
  if (isConductorError(error)) {
    process.stderr.write(`Error: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    // Commander already printed its message (usage errors); help/version exit 0.
    if (error.exitCode === 0) return 0;
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `Error: ${oneLine(message)} (unexpected; rerun with CONDUCTOR_LOG_LEVEL=debug for details)\n`,
  );
  if ((process.env.CONDUCTOR_LOG_LEVEL ?? '').toLowerCase() === 'debug' && error instanceof Error) {
    process.stderr.write(`${error.stack ?? ''}\n`);
  }
  void prog;
  return 2;
}

/** Run a CLI main function and set the exit code from its result or error. */
export async function runMain(prog: string, main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (error) {
    process.exitCode = reportError(error, prog);
  }
}
