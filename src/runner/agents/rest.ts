/**
 * perplexity and xai: the launch is our own `run-agent __rest-agent` process (so every run
 * is "argv + env" under the wrapper). The key travels only in the env; stdout is the
 * streamed answer; usage and model come back through agent-usage.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfCommand } from '../../core/self.js';
import { AGENT_USAGE_FILE, type RestUsageFile } from '../rest/rest-agent.js';
import type { RestAgentType } from '../rest/settings.js';
import { formatCommandline } from './commandline.js';
import { buildAgentEnv, KEY_ENV_VARS } from './env.js';
import { explainCommonFailure } from './failure.js';
import { isObject, num, str } from './jsonl.js';
import { textProgressParser } from './progress.js';
import type { AgentBackend, AgentLaunch, LaunchContext, RunFiles, RunSummary } from './types.js';

export function restAgentArgv(ctx: LaunchContext, type: RestAgentType): string[] {
  const { agent } = ctx;
  const argv = [
    ...selfCommand('run-agent'),
    '__rest-agent',
    '--type',
    type,
    '--run-dir',
    ctx.runDir,
  ];
  if (agent.model !== undefined && agent.model !== '') argv.push('--model', agent.model);
  if (agent.baseUrl !== undefined && agent.baseUrl !== '') argv.push('--base-url', agent.baseUrl);
  argv.push('--timeout-ms', String(agent.timeoutMs));
  if (agent.idleTimeoutMs !== undefined)
    argv.push('--idle-timeout-ms', String(agent.idleTimeoutMs));
  return argv;
}

export function readRestUsage(runDir: string): RestUsageFile | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(join(runDir, AGENT_USAGE_FILE), 'utf8'));
    return isObject(value) ? (value as unknown as RestUsageFile) : undefined;
  } catch {
    return undefined;
  }
}

export function summarizeRest(files: RunFiles): RunSummary {
  const summary: RunSummary = {};
  const text = files.stdout.trim();
  if (text !== '') summary.finalText = text;
  const usage = readRestUsage(files.runDir);
  if (usage !== undefined) {
    summary.model = str(usage.model);
    const input = num(usage.input_tokens);
    const output = num(usage.output_tokens);
    const cached = num(usage.cached_input_tokens);
    if (input !== undefined || output !== undefined) {
      summary.usage = { input_tokens: input, output_tokens: output, cached_input_tokens: cached };
    }
    const error = str(usage.error);
    if (error !== undefined) {
      summary.errorMessage = error;
      summary.failed = true;
    }
  }
  return summary;
}

function createRestBackend(type: RestAgentType): AgentBackend {
  const keyEnvVar = KEY_ENV_VARS[type];
  return {
    type,
    requiresKey: true,
    keyEnvVar,
    buildLaunch(ctx: LaunchContext): AgentLaunch {
      const argv = restAgentArgv(ctx, type);
      const env = buildAgentEnv(ctx.agent, ctx.baseEnv, keyEnvVar);
      return { argv, env, commandline: formatCommandline(argv, ctx.promptPath) };
    },
    createProgressParser: textProgressParser,
    summarize: summarizeRest,
    detectVersion: () => Promise.resolve(''),
    explainFailure: (exitCode, _stderrTail, summary) =>
      explainCommonFailure(type, exitCode, summary),
  };
}

export const perplexityBackend = createRestBackend('perplexity');
export const xaiBackend = createRestBackend('xai');
