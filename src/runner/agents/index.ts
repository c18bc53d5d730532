/** Registry of agent backends and the built-in agent configs (`--agent codex` with no config file). */
import { AGENT_TYPES } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { claudeBackend } from './claude.js';
import { codexBackend } from './codex.js';
import { commandBackend } from './command.js';
import { demoBackend } from './demo.js';
import { geminiBackend } from './gemini.js';
import { perplexityBackend, xaiBackend } from './rest.js';
import type { AgentBackend, AgentConfig, AgentType } from './types.js';

export type * from './types.js';

export { AGENT_TYPES };

const BACKENDS: Readonly<Record<AgentType, AgentBackend>> = {
  claude: claudeBackend,
  codex: codexBackend,
  gemini: geminiBackend,
  perplexity: perplexityBackend,
  xai: xaiBackend,
  command: commandBackend,
  demo: demoBackend,
};

export function isAgentType(value: string): value is AgentType {
  return (AGENT_TYPES as readonly string[]).includes(value);
}

export function getBackend(type: string): AgentBackend {
  const key = type.toLowerCase();
  if (!isAgentType(key)) {
    throw new ValidationError(`unknown agent type: ${type} (expected ${AGENT_TYPES.join(', ')})`);
  }
  return BACKENDS[key];
}

function builtin(type: AgentType): AgentConfig {
  return { name: type, type, timeoutMs: 300_000, maxRetries: 3, retryBaseDelayMs: 2_000, env: {} };
}

/** Default config per type name; `command` is absent because it needs a command line. */
export const BUILTIN_AGENTS: Readonly<Record<string, AgentConfig>> = Object.freeze(
  Object.fromEntries(
    AGENT_TYPES.filter((t) => t !== 'command').map((t) => [t, Object.freeze(builtin(t))]),
  ),
);
