/**
 * The agent's environment, built once for every backend (compat.md §6): the configured key
 * goes into the backend's own variable, every other agent's key is stripped so a codex run
 * never sees ANTHROPIC_API_KEY, CLAUDECODE is dropped (Claude Code refuses to nest), and the
 * agent's own `env` map is merged last.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import type { AgentConfig, AgentType } from './types.js';

/** Key variable per agent type; `command` and `demo` take no key. */
export const KEY_ENV_VARS: Readonly<Record<AgentType, string | undefined>> = {
  claude: 'ANTHROPIC_API_KEY',
  codex: 'OPENAI_API_KEY',
  gemini: 'GEMINI_API_KEY',
  perplexity: 'PERPLEXITY_API_KEY',
  xai: 'XAI_API_KEY',
  command: undefined,
  demo: undefined,
};

const ALL_KEY_VARS = Object.values(KEY_ENV_VARS).filter((v): v is string => v !== undefined);

/** The configured secret: `token`, else the trimmed contents of `tokenFile`, else undefined. */
export function resolveToken(agent: AgentConfig): string | undefined {
  if (agent.token !== undefined && agent.token !== '') return agent.token;
  if (agent.tokenFile === undefined || agent.tokenFile === '') return undefined;
  let text: string;
  try {
    text = readFileSync(agent.tokenFile, 'utf8').trim();
  } catch {
    throw new ConfigError(
      'AGENT_TOKEN_FILE',
      `agent ${agent.name}: cannot read token_file ${agent.tokenFile}`,
    );
  }
  if (text === '') {
    throw new ConfigError(
      'AGENT_TOKEN_FILE',
      `agent ${agent.name}: token_file ${agent.tokenFile} is empty`,
    );
  }
  return text;
}

export function buildAgentEnv(
  agent: AgentConfig,
  baseEnv: NodeJS.ProcessEnv,
  keyEnvVar: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (value !== undefined) env[name] = value;
  }
  delete env.CLAUDECODE;
  for (const name of ALL_KEY_VARS) {
    if (name !== keyEnvVar) delete env[name];
  }
  const token = resolveToken(agent);
  if (keyEnvVar !== undefined && token !== undefined) env[keyEnvVar] = token;
  return { ...env, ...agent.env };
}
