/**
 * Which agent a run uses: `--agent <name>` from config.yaml's agents, else a built-in type
 * (`--agent codex` works with no config); without `--agent`, the default agent (demo when
 * nothing is configured, so the product works without any key).
 */
import { ConfigError } from '../core/errors.js';
import type { ResolvedConfig } from '../core/config.js';
import { BUILTIN_AGENTS, type AgentConfig } from './agents/index.js';

/** The agent used when none is named: defaults.agent, else the first configured, else `demo`. */
export function defaultAgentName(config?: ResolvedConfig): string {
  const configured = Object.keys(config?.agents ?? {}).sort();
  return config?.defaultAgent ?? configured[0] ?? 'demo';
}

export function selectAgent(name: string | undefined, config?: ResolvedConfig): AgentConfig {
  const configured = config?.agents ?? {};
  const chosen = name ?? defaultAgentName(config);
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
