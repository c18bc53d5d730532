/**
 * `run-agent job`: one run of one agent on one prompt. Prints where the run lives, optionally
 * streams its stdout (-f), and exits with the run's outcome (0 ok, 1 retriable, 2 permanent,
 * 3 configuration).
 */
import type { Command } from 'commander';
import {
  addRunOptions,
  parseDurationMs,
  parseIntFlag,
  readPromptFlags,
  scopeFromFlags,
  type RunFlags,
} from '../options.js';
import { subcommand } from '../program.js';
import { abortOnInterrupt } from './interrupt.js';

interface JobFlags extends RunFlags {
  previousRunId?: string;
  follow?: boolean;
}

export function registerJobCommand(program: Command): void {
  const cmd = subcommand(program, 'job', 'Run one agent on one prompt (one run)');
  addRunOptions(cmd)
    .option('--previous-run-id <id>', 'previous run id of the same task')
    .option('-f, --follow', "stream the agent's stdout while it runs")
    .action(async (flags: JobFlags) => {
      await runJobCommand(flags);
    });
}

async function readPrompt(flags: JobFlags): Promise<string> {
  const prompt = await readPromptFlags(flags);
  if (prompt !== undefined) return prompt;
  const { ValidationError } = await import('../../core/errors.js');
  throw new ValidationError('no prompt: use --prompt or --prompt-file');
}

/** `--conductor-url`, else an enclosing run's, else the server address of a loaded config.yaml. */
function conductorUrlOf(
  flags: JobFlags,
  config: { path?: string; api: { host: string; port: number } },
): { conductorUrl?: string } {
  const inherited = process.env.JRUN_CONDUCTOR_URL;
  if (flags.conductorUrl !== undefined) return { conductorUrl: flags.conductorUrl };
  if (inherited !== undefined && inherited !== '') return { conductorUrl: inherited };
  if (config.path === undefined) return {};
  const host =
    config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host;
  return { conductorUrl: `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}` };
}

async function runJobCommand(flags: JobFlags): Promise<void> {
  const [
    { loadConfig },
    { resolveRoot },
    { generateTaskId },
    errors,
    runner,
    agentSelect,
    tail,
    { consumeRunQuota },
  ] = await Promise.all([
    import('../../core/config.js'),
    import('../../core/layout.js'),
    import('../../core/ids.js'),
    import('../../core/errors.js'),
    import('../../runner/job.js'),
    import('../../runner/agent-select.js'),
    import('../../runner/follow.js'),
    import('../../runner/rate-limit.js'),
  ]);
  const prompt = await readPrompt(flags);
  const config = loadConfig({ configPath: flags.config });
  const root = resolveRoot({ flag: flags.root, configRunsDir: config.storage.runsDir });
  const scope = scopeFromFlags(flags);
  if (scope.projectId === undefined) {
    throw new errors.ValidationError(
      'no project: use --project (or run inside an agent with JRUN_PROJECT_ID)',
    );
  }
  const taskId = scope.taskId ?? generateTaskId(prompt);
  const agent = agentSelect.selectAgent(flags.agent, config);
  const parentRunId = flags.parentRunId ?? (process.env.JRUN_ID || undefined);
  // rate_limits.per_agent.requests_per_day counts every run, not only task-loop runs.
  consumeRunQuota({
    root,
    agent: agent.name,
    requestsPerDay: config.rateLimits.perAgent.requestsPerDay,
  });

  const interrupt = abortOnInterrupt();

  let follow: Promise<number> | undefined;
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  try {
    const result = await runner.runJob({
      root,
      projectId: scope.projectId,
      taskId,
      agent,
      prompt,
      ...(flags.cwd !== undefined ? { cwd: flags.cwd } : {}),
      ...(parentRunId !== undefined ? { parentRunId } : {}),
      ...(flags.previousRunId !== undefined ? { previousRunId: flags.previousRunId } : {}),
      ...(flags.timeout !== undefined
        ? { timeoutMs: parseDurationMs(flags.timeout, '--timeout') }
        : {}),
      ...(flags.idleTimeout !== undefined
        ? { idleTimeoutMs: parseDurationMs(flags.idleTimeout, '--idle-timeout') }
        : {}),
      minFreeBytes: config.storage.minFreeBytes,
      maxLogBytes: config.storage.maxLogBytes,
      maxConcurrent:
        flags.maxConcurrent !== undefined
          ? parseIntFlag(flags.maxConcurrent, '--max-concurrent')
          : config.defaults.maxConcurrentRuns,
      stopGraceMs:
        flags.stopGrace !== undefined
          ? parseDurationMs(flags.stopGrace, '--stop-grace')
          : config.defaults.stopGraceMs,
      ...conductorUrlOf(flags, config),
      layout: config.storage.layout,
      signal: interrupt.signal,
      onCreated: ({ runId, runDir }) => {
        if (!flags.json) process.stdout.write(`run_id: ${runId}\nrun_dir: ${runDir}\n`);
      },
      onStarted: ({ runDir }) => {
        if (!flags.follow) return;
        follow = tail.followFile(
          `${runDir}/agent-stdout.txt`,
          (chunk) => process.stdout.write(chunk),
          { until: ended },
        );
      },
    });
    resolveEnded();
    if (follow !== undefined) await follow;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(
        `status: ${result.status} (exit code ${result.exitCode})\noutput: ${result.runDir}/output.md\n`,
      );
    }
    if (result.outcome !== 0) {
      throw new errors.ConductorError(
        errors.familyOfExitCode(result.outcome),
        'RUN_FAILED',
        `run ${result.runId} ${result.status}: ${result.errorSummary ?? result.status} (see ${result.runDir}/output.md)`,
      );
    }
  } finally {
    resolveEnded();
    interrupt.dispose();
  }
}
