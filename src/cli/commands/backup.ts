import type { Command } from 'commander';
import { parseIntFlag } from '../options.js';
import { subcommand } from '../program.js';

interface BackupFlags {
  root?: string;
  out: string;
  keep?: string;
  maxAge?: string;
  json?: boolean;
}

/** `conductor backup`: consistent tar.gz snapshot of the runs root with retention. */
export function registerBackupCommand(program: Command): void {
  subcommand(
    program,
    'backup',
    'Write a consistent tar.gz snapshot of the runs root (safe while runs are active)',
  )
    .option('--root <dir>', 'runs root (default: CONDUCTOR_ROOT, config storage.runs_dir, ./runs)')
    .option('--config <file>', 'config file (for storage.runs_dir)')
    .option('--out <dir>', 'folder for the archives', 'backups')
    .option('--keep <n>', 'keep only the newest N archives')
    .option('--max-age <days>', 'delete archives older than DAYS days')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BackupFlags & { config?: string }) => {
      const { createBackup } = await import('../../ops/backup.js');
      const { formatBytes } = await import('../../core/disk.js');
      const { rootFromFlags } = await import('../../ops/ops-root.js');
      const result = await createBackup({
        root: rootFromFlags(flags),
        outDir: flags.out,
        keep: flags.keep !== undefined ? parseIntFlag(flags.keep, '--keep', 1) : undefined,
        maxAgeDays:
          flags.maxAge !== undefined ? parseIntFlag(flags.maxAge, '--max-age', 0) : undefined,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const m = result.manifest;
      process.stdout.write(
        `backup ${result.archive} (${formatBytes(result.archiveBytes)}): ${m.files} files, ${m.runInfos} runs, ${m.busFiles} bus files, ${m.busMessages} messages\n`,
      );
      if (m.droppedBusBytes > 0) {
        process.stdout.write(`note: left out ${m.droppedBusBytes} bytes of torn bus records\n`);
      }
      for (const path of result.pruned) process.stdout.write(`deleted old backup ${path}\n`);
    });
}
