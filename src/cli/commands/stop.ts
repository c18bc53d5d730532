/**
 * `run-agent stop`: stop one run (`--run-dir`, `--run`) or every active run of a task.
 * SIGTERM to the run's process group, SIGKILL after the grace period (`--force`: at once);
 * the run ends recorded as `stopped`. Task stops write STOP-REQUESTED so the loop does not
 * restart (`--no-restart` makes it permanent).
 */
import type { Command } from 'commander';
import { parseDurationMs } from '../options.js';
import { subcommand } from '../program.js';
import {
  addRunTargetOptions,
  resolveRunDir,
  resolveTaskTarget,
  type RunTargetFlags,
} from './run-target.js';

interface StopFlags extends RunTargetFlags {
  force?: boolean;
  grace?: string;
  restart?: boolean;
}

export function registerStopCommand(program: Command): void {
  const cmd = subcommand(program, 'stop', 'Stop a run, or every active run of a task');
  addRunTargetOptions(cmd, 'run id (default: every active run of the task)')
    .option('--force', 'SIGKILL the process group at once')
    .option('--grace <duration>', 'time between SIGTERM and SIGKILL (default 30s)')
    .option('--no-restart', 'the task loop must not restart the task (STOP-REQUESTED: permanent)')
    .action(async (flags: StopFlags) => {
      await stopCommand(flags);
    });
}

async function stopCommand(flags: StopFlags): Promise<void> {
  const [{ stopRun }, runInfo, store, taskFiles, layout] = await Promise.all([
    import('../../runner/stop.js'),
    import('../../core/run-info.js'),
    import('../../core/store.js'),
    import('../../core/task-files.js'),
    import('../../core/layout.js'),
  ]);
  const graceMs = flags.grace !== undefined ? parseDurationMs(flags.grace, '--grace') : 30_000;
  const permanent = flags.restart === false;
  let runDirs: string[];
  if (flags.runDir !== undefined || flags.run !== undefined) {
    const runDir = await resolveRunDir(flags);
    runDirs = [runDir];
    if (permanent) taskFiles.writeStopRequested(layout.runDirContext(runDir).taskDir, true);
  } else {
    const target = await resolveTaskTarget(flags);
    taskFiles.writeStopRequested(target.taskDir, permanent);
    runDirs = store
      .listRunDirs(target.taskDir)
      .map((entry) => entry.runDir)
      .filter((dir) => !runInfo.isTerminalStatus(runInfo.readRunInfo(dir).status));
    if (runDirs.length === 0) {
      process.stdout.write(`no active runs in task ${target.projectId}/${target.taskId}\n`);
      return;
    }
  }
  await Promise.all(
    runDirs.map(async (runDir) => {
      const before = runInfo.readRunInfo(runDir);
      if (runInfo.isTerminalStatus(before.status)) {
        process.stdout.write(`run ${before.run_id} already ${before.status}\n`);
        return;
      }
      await stopRun(runDir, { graceMs, force: flags.force ?? false });
      const after = runInfo.readRunInfo(runDir);
      process.stdout.write(`run ${after.run_id} ${after.status}\n`);
    }),
  );
}
