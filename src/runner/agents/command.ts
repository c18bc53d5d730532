/** Any executable with args (`agent.command`), prompt on stdin; its stdout is the answer. */
import { ConfigError } from '../../core/errors.js';
import { formatCommandline } from './commandline.js';
import { buildAgentEnv } from './env.js';
import { explainCommonFailure } from './failure.js';
import { textProgressParser } from './progress.js';
import type { AgentBackend, LaunchContext, RunFiles, RunSummary } from './types.js';

export function summarizePlainText(files: RunFiles): RunSummary {
  const text = files.stdout.trim();
  return text === '' ? {} : { finalText: text };
}

export const commandBackend: AgentBackend = {
  type: 'command',
  requiresKey: false,
  buildLaunch(ctx: LaunchContext) {
    const argv = ctx.agent.command ?? [];
    if (argv.length === 0 || argv[0] === '') {
      throw new ConfigError(
        'AGENT_COMMAND_MISSING',
        `agent ${ctx.agent.name}: type command needs a command`,
      );
    }
    const env = buildAgentEnv(ctx.agent, ctx.baseEnv, undefined);
    return { argv: [...argv], env, commandline: formatCommandline(argv, ctx.promptPath) };
  },
  createProgressParser: textProgressParser,
  summarize: summarizePlainText,
  detectVersion: () => Promise.resolve(''),
  explainFailure: (exitCode, _stderr, summary) =>
    explainCommonFailure('command', exitCode, summary),
};
