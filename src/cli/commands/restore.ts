import type { Command } from 'commander';
import { subcommand } from '../program.js';

/** `conductor restore ARCHIVE --root DIR`: unpack a backup into an empty root and verify it. */
export function registerRestoreCommand(program: Command): void {
  subcommand(
    program,
    'restore <archive>',
    'Restore a backup archive into an empty runs root and verify every file',
  )
    .requiredOption('--root <dir>', 'empty (or new) folder to restore into')
    .option('--json', 'print the result as JSON')
    .action(async (archive: string, flags: { root: string; json?: boolean }) => {
      const { restoreBackup } = await import('../../ops/restore.js');
      const result = await restoreBackup({ archive, root: flags.root });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const v = result.verified;
      process.stdout.write(
        `restored ${result.root} from ${archive} (taken ${result.manifest.created_at}): ${v.files} files, ${v.runInfos} run-info.yaml and ${v.busFiles} bus files (${v.busMessages} messages) verified\n`,
      );
    });
}
