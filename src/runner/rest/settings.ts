/**
 * Endpoint, model and key for the REST agents (agent-streams.md §4/§5, compat.md §7).
 * Flags (from the agent config) win over env fallbacks, which win over defaults.
 */
import { ConfigError, ValidationError } from '../../core/errors.js';

export type RestAgentType = 'perplexity' | 'xai';

export const REST_AGENT_TYPES: readonly RestAgentType[] = ['perplexity', 'xai'];

export interface RestSettings {
  type: RestAgentType;
  url: string;
  model: string;
  key: string;
  keyEnvVar: string;
}

const DEFAULTS: Record<RestAgentType, { base: string; model: string; keyEnvVar: string }> = {
  // sonar-reasoning was withdrawn; sonar-pro is current (agent-streams.md §4).
  perplexity: {
    base: 'https://api.perplexity.ai',
    model: 'sonar-pro',
    keyEnvVar: 'PERPLEXITY_API_KEY',
  },
  xai: { base: 'https://api.x.ai', model: 'grok-4', keyEnvVar: 'XAI_API_KEY' },
};

export function isRestAgentType(value: string): value is RestAgentType {
  return (REST_AGENT_TYPES as readonly string[]).includes(value);
}

/** Accept a bare host, a `/v1` base or the full chat-completions URL. */
export function chatCompletionsUrl(type: RestAgentType, base: string): string {
  const trimmed = base.trim().replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(trimmed)) return trimmed;
  if (/\/v\d+$/.test(trimmed)) return `${trimmed}/chat/completions`;
  return type === 'xai' ? `${trimmed}/v1/chat/completions` : `${trimmed}/chat/completions`;
}

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v.trim() !== '')?.trim();
}

export function resolveRestSettings(
  type: string,
  flags: { baseUrl?: string; model?: string },
  env: NodeJS.ProcessEnv,
): RestSettings {
  if (!isRestAgentType(type)) {
    throw new ValidationError(`unknown REST agent type: ${type} (expected perplexity or xai)`);
  }
  const defaults = DEFAULTS[type];
  const xai = type === 'xai';
  const base =
    firstSet(
      flags.baseUrl,
      xai ? env.XAI_API_ENDPOINT : undefined,
      xai ? env.XAI_BASE_URL : undefined,
      xai ? env.XAI_API_BASE : undefined,
    ) ?? defaults.base;
  const model = firstSet(flags.model, xai ? env.XAI_MODEL : undefined) ?? defaults.model;
  const key = firstSet(env[defaults.keyEnvVar]);
  if (key === undefined) {
    throw new ConfigError(
      'AGENT_KEY_MISSING',
      `${type}: no API key (set ${defaults.keyEnvVar} or the agent's token)`,
    );
  }
  let url: string;
  try {
    url = new URL(chatCompletionsUrl(type, base)).toString();
  } catch {
    throw new ConfigError('AGENT_BASE_URL', `${type}: invalid base URL ${base}`);
  }
  return { type, url, model, key, keyEnvVar: defaults.keyEnvVar };
}
