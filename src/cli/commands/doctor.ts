import type { Command } from 'commander';
import { subcommand } from '../program.js';

/** `conductor doctor`: one `ok|warn|fail` line per check; exit 3 when any check fails. */
export function registerDoctorCommand(program: Command): void {
  subcommand(
    program,
    'doctor',
    'Check config, token files, agent CLIs, root, disk space and the server',
  )
    .option('--config <file>', 'config file (default: discovered as usual)')
    .option('--root <dir>', 'runs root (default: CONDUCTOR_ROOT, config storage.runs_dir, ./runs)')
    .option(
      '--server <url>',
      'server to probe (default: CONDUCTOR_URL, else the configured address)',
    )
    .action(async (flags: { config?: string; root?: string; server?: string }) => {
      const { runDoctor, formatFindings } = await import('../../ops/doctor.js');
      const { ConfigError } = await import('../../core/errors.js');
      const findings = await runDoctor({
        configPath: flags.config,
        root: flags.root,
        serverUrl: flags.server,
      });
      process.stdout.write(formatFindings(findings));
      const failed = findings.filter((f) => f.level === 'fail').length;
      if (failed > 0) {
        throw new ConfigError(
          'DOCTOR_FAILED',
          `doctor: ${failed} check${failed === 1 ? '' : 's'} failed`,
        );
      }
    });
}
