/** The agents this server offers: config agents, then built-in ones not overridden. */
import type { AgentConfig } from '../core/config.js';
import { BUILTIN_AGENTS } from '../runner/agents/index.js';
import type { ServerContext } from './context.js';

export function configuredAgents(ctx: ServerContext): AgentConfig[] {
  const byName = new Map<string, AgentConfig>();
  for (const agent of Object.values(ctx.config.agents)) byName.set(agent.name, agent);
  for (const agent of Object.values(BUILTIN_AGENTS)) {
    if (!byName.has(agent.name)) byName.set(agent.name, agent);
  }
  return [...byName.values()];
}
