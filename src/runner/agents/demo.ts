/**
 * The built-in demo agent: our own `run-agent __demo-agent`, no key, so a fresh install can
 * run a task end to end. Its behaviour lives in demo-agent.ts.
 */
import { selfCommand } from '../../core/self.js';
import { summarizePlainText } from './command.js';
import { formatCommandline } from './commandline.js';
import { buildAgentEnv } from './env.js';
import { explainCommonFailure } from './failure.js';
import { textProgressParser } from './progress.js';
import type { AgentBackend, LaunchContext } from './types.js';

export const demoBackend: AgentBackend = {
  type: 'demo',
  requiresKey: false,
  buildLaunch(ctx: LaunchContext) {
    const argv = [...selfCommand('run-agent'), '__demo-agent'];
    const env = buildAgentEnv(ctx.agent, ctx.baseEnv, undefined);
    return { argv, env, commandline: formatCommandline(argv, ctx.promptPath) };
  },
  createProgressParser: textProgressParser,
  summarize: summarizePlainText,
  detectVersion: () => Promise.resolve(''),
  explainFailure: (exitCode, _stderr, summary) => explainCommonFailure('demo', exitCode, summary),
};
