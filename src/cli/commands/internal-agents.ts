/**
 * Hidden helper commands the runner launches as agents: `run-agent __rest-agent` (perplexity,
 * xai over HTTPS) and `run-agent __demo-agent` (the keyless demo). Both read the prompt on
 * stdin and stream to stdout; they are not meant to be typed by users.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { configureCommand } from '../program.js';

function intOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`needs a whole number, got ${value}`);
    return n;
  });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const writeOut = (text: string): void => {
  process.stdout.write(text);
};

export function registerInternalAgentCommands(program: Command): void {
  const rest = configureCommand(new Command('__rest-agent'))
    .description('internal: run a REST chat agent (prompt on stdin)')
    .requiredOption('--type <type>', 'perplexity or xai')
    .option(
      '--run-dir <dir>',
      'run folder for output.md and agent-usage.json (default $JRUN_RUN_FOLDER)',
    )
    .option('--model <name>', 'model name')
    .option('--base-url <url>', 'API base or chat-completions URL')
    .addOption(intOption('--timeout-ms <n>', 'total deadline'))
    .addOption(intOption('--connect-timeout-ms <n>', 'wait for response headers'))
    .addOption(intOption('--idle-timeout-ms <n>', 'longest gap between stream chunks'))
    .addOption(intOption('--max-retries <n>', 'retries for 429/5xx/network errors'))
    .addOption(intOption('--retry-base-ms <n>', 'first backoff delay'))
    .action(async (flags: Record<string, string | number | undefined>) => {
      const { runRestAgent, REST_DEFAULTS } = await import('../../runner/rest/rest-agent.js');
      const pick = (name: string, fallback: number): number =>
        typeof flags[name] === 'number' ? flags[name] : fallback;
      await runRestAgent(
        {
          type: String(flags.type),
          runDir: flags.runDir === undefined ? undefined : String(flags.runDir),
          model: flags.model === undefined ? undefined : String(flags.model),
          baseUrl: flags.baseUrl === undefined ? undefined : String(flags.baseUrl),
          timeoutMs: pick('timeoutMs', REST_DEFAULTS.timeoutMs),
          connectTimeoutMs: pick('connectTimeoutMs', REST_DEFAULTS.connectTimeoutMs),
          idleTimeoutMs: pick('idleTimeoutMs', REST_DEFAULTS.idleTimeoutMs),
          maxRetries: pick('maxRetries', REST_DEFAULTS.maxRetries),
          retryBaseMs: pick('retryBaseMs', REST_DEFAULTS.retryBaseMs),
          retryCapMs: REST_DEFAULTS.retryCapMs,
        },
        {
          prompt: await readStdin(),
          env: process.env,
          writeOut,
          writeErr: (text) => process.stderr.write(text),
        },
      );
    });
  program.addCommand(rest, { hidden: true });

  const demo = configureCommand(new Command('__demo-agent'))
    .description('internal: the built-in demo agent (prompt on stdin)')
    .action(async () => {
      const { runDemoAgent } = await import('../../runner/agents/demo-agent.js');
      await runDemoAgent({
        prompt: await readStdin(),
        cwd: process.cwd(),
        env: process.env,
        writeOut,
      });
    });
  program.addCommand(demo, { hidden: true });
}
