/**
 * `run-agent output`: print a run's output.md (or stdout, stderr, prompt); `-f` follows the
 * agent's stdout until the run ends.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseIntFlag } from '../options.js';
import { subcommand } from '../program.js';
import { addRunTargetOptions, resolveRunDir, type RunTargetFlags } from './run-target.js';

interface OutputFlags extends RunTargetFlags {
  file?: string;
  tail?: string;
  follow?: boolean;
}

const FILE_NAMES: Record<string, string> = {
  output: 'output.md',
  stdout: 'agent-stdout.txt',
  stderr: 'agent-stderr.txt',
  prompt: 'prompt.md',
};

export function registerOutputCommand(program: Command): void {
  const cmd = subcommand(
    program,
    'output',
    "Print a run's output (output.md, stdout, stderr, prompt)",
  );
  addRunTargetOptions(cmd, 'run id (default: latest)')
    .option('--file <name>', 'output | stdout | stderr | prompt (default output; stdout with -f)')
    .option('--tail <n>', 'only the last N lines (0 = all)', '0')
    .option('-f, --follow', "follow the agent's stdout until the run ends")
    .action(async (flags: OutputFlags) => {
      await outputCommand(flags);
    });
}

async function outputCommand(flags: OutputFlags): Promise<void> {
  const [{ ValidationError, NotFoundError }, tail, follow] = await Promise.all([
    import('../../core/errors.js'),
    import('../../runner/file-tail.js'),
    import('../../runner/follow.js'),
  ]);
  const kind = flags.file ?? (flags.follow ? 'stdout' : 'output');
  const name = FILE_NAMES[kind];
  if (name === undefined) {
    throw new ValidationError(
      `invalid --file ${JSON.stringify(kind)}: use output, stdout, stderr or prompt`,
    );
  }
  const tailLines = parseIntFlag(flags.tail ?? '0', '--tail');
  const runDir = await resolveRunDir(flags);
  const { existsSync, statSync } = await import('node:fs');
  const path = join(runDir, name);
  if (!flags.follow) {
    if (!existsSync(path)) throw new NotFoundError(`${name} not found in ${runDir}`);
    const text = tail.readTail(path, 64 * 1024 * 1024);
    process.stdout.write(tailLines > 0 ? `${tail.lastLines(text, tailLines)}\n` : text);
    return;
  }
  let from = 0;
  if (tailLines > 0 && existsSync(path)) {
    const text = tail.readTail(path, 1024 * 1024);
    process.stdout.write(`${tail.lastLines(text, tailLines)}\n`);
    from = statSync(path).size;
  }
  await follow.followFile(path, (chunk) => process.stdout.write(chunk), {
    from,
    until: follow.runEnded(runDir),
  });
}
