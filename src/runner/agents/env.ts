/**
 * The agent's environment, built once for every backend (compat.md §6): the configured key
 * goes into the backend's own variable, every other agent's key is stripped so a codex run
 * never sees ANTHROPIC_API_KEY, CLAUDECODE is dropped (Claude Code refuses to nest), and the
 * agent's own `env` map is merged last.
 */
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

/** Other variables an agent reads its key from (agent-streams.md §2: codex also reads CODEX_API_KEY). */
const KEY_ALIASES: Partial<Record<AgentType, string[]>> = { codex: ['CODEX_API_KEY'] };

const ALL_KEY_VARS = [
  ...Object.values(KEY_ENV_VARS).filter((v): v is string => v !== undefined),
  ...Object.values(KEY_ALIASES).flat(),
];

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
  const own = new Set([keyEnvVar, ...(KEY_ALIASES[agent.type] ?? [])]);
  for (const name of ALL_KEY_VARS) {
    if (!own.has(name)) delete env[name];
  }
  // config.ts already loaded token_file / CONDUCTOR_AGENT_<NAME>_TOKEN into `token`.
  const token = agent.token !== undefined && agent.token !== '' ? agent.token : undefined;
  if (keyEnvVar !== undefined && token !== undefined) env[keyEnvVar] = token;
  return { ...env, ...agent.env };
}
