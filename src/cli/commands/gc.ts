import type { Command } from 'commander';
import { ageToMs } from '../../core/duration.js';
import { ValidationError } from '../../core/errors.js';
import { subcommand } from '../program.js';

interface GcFlags {
  root?: string;
  config?: string;
  olderThan: string;
  dryRun?: boolean;
  keepFailed?: boolean;
  project?: string;
  projectId?: string;
  json?: boolean;
}

/** `7d`/`2w` on top of the usual durations: retention is counted in days. */
function parseAge(value: string): number {
  const ms = ageToMs(value);
  if (ms === undefined) {
    throw new ValidationError(
      `invalid --older-than ${JSON.stringify(value)}: use an age like 7d, 2w, 36h`,
    );
  }
  return ms;
}

/** `conductor gc`: prune finished runs older than a cut-off, leaving a summary line per run. */
export function registerGcCommand(program: Command): void {
  subcommand(
    program,
    'gc',
    'Delete finished run folders older than a cut-off (keeps TASK.md, DONE, bus, GC-SUMMARY.md)',
  )
    .requiredOption('--older-than <age>', 'age like 7d, 2w, 36h (finished before now minus AGE)')
    .option('--root <dir>', 'runs root (default: CONDUCTOR_ROOT, config storage.runs_dir, ./runs)')
    .option('--config <file>', 'config file (for storage.runs_dir)')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--keep-failed', 'keep failed, timed-out and crashed runs')
    .option('--project-id <id>', 'only this project')
    .option('--project <id>', 'alias of --project-id')
    .option('--json', 'print the result as JSON')
    .action(async (flags: GcFlags) => {
      const { runGc } = await import('../../ops/gc.js');
      const { formatBytes } = await import('../../core/disk.js');
      const { rootFromFlags } = await import('../../ops/ops-root.js');
      const result = runGc({
        root: rootFromFlags(flags),
        olderThanMs: parseAge(flags.olderThan),
        dryRun: flags.dryRun === true,
        keepFailed: flags.keepFailed === true,
        projectId: flags.projectId ?? flags.project,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const verb = result.dryRun ? 'would delete' : 'deleted';
      for (const run of result.pruned) {
        process.stdout.write(
          `${verb} ${run.projectId}/${run.taskId}/${run.runId} (${run.status}, ${formatBytes(run.bytes)})\n`,
        );
      }
      process.stdout.write(
        `${verb} ${result.pruned.length} runs (${formatBytes(result.bytesFreed)}), kept ${result.kept}\n`,
      );
    });
}
