/**
 * Which agent a run uses: `--agent <name>` from config.yaml's agents, else a built-in type
 * (`--agent codex` works with no config); without `--agent`, the config's default agent.
 */
import { ConfigError } from '../core/errors.js';
import type { ResolvedConfig } from '../core/config.js';
import { BUILTIN_AGENTS, type AgentConfig } from './agents/index.js';

export function selectAgent(name: string | undefined, config?: ResolvedConfig): AgentConfig {
  const configured = config?.agents ?? {};
  const chosen = name ?? config?.defaultAgent ?? Object.keys(configured).sort()[0] ?? undefined;
  if (chosen === undefined) {
    throw new ConfigError(
      'AGENT_NOT_GIVEN',
      `no agent given: use --agent (${Object.keys(BUILTIN_AGENTS).join(', ')}) or set defaults.agent in config.yaml`,
    );
  }
  const agent = configured[chosen] ?? BUILTIN_AGENTS[chosen.toLowerCase()];
  if (agent === undefined) {
    const known = [...new Set([...Object.keys(configured), ...Object.keys(BUILTIN_AGENTS)])];
    throw new ConfigError(
      'AGENT_UNKNOWN',
      `unknown agent "${chosen}" (known: ${known.join(', ')})`,
    );
  }
  return agent;
}
