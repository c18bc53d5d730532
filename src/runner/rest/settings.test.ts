import { describe, expect, it } from 'vitest';
import { chatCompletionsUrl, resolveRestSettings } from './settings.js';

describe('REST settings', () => {
  it('uses defaults per type', () => {
    expect(resolveRestSettings('perplexity', {}, { PERPLEXITY_API_KEY: 'k' })).toMatchObject({
      url: 'https://api.perplexity.ai/chat/completions',
      model: 'sonar-pro',
      key: 'k',
    });
    expect(resolveRestSettings('xai', {}, { XAI_API_KEY: 'k' })).toMatchObject({
      url: 'https://api.x.ai/v1/chat/completions',
      model: 'grok-4',
    });
  });

  it('xai env fallbacks in order, flags first', () => {
    const env = {
      XAI_API_KEY: 'k',
      XAI_BASE_URL: 'http://b',
      XAI_API_BASE: 'http://c',
      XAI_MODEL: 'grok-3',
    };
    expect(resolveRestSettings('xai', {}, env)).toMatchObject({
      url: 'http://b/v1/chat/completions',
      model: 'grok-3',
    });
    expect(resolveRestSettings('xai', {}, { ...env, XAI_API_ENDPOINT: 'http://a/v1' }).url).toBe(
      'http://a/v1/chat/completions',
    );
    expect(resolveRestSettings('xai', { baseUrl: 'http://f', model: 'm' }, env)).toMatchObject({
      url: 'http://f/v1/chat/completions',
      model: 'm',
    });
  });

  it('accepts full URLs and rejects a missing key, bad type or bad URL', () => {
    expect(chatCompletionsUrl('perplexity', 'http://h/chat/completions/')).toBe(
      'http://h/chat/completions',
    );
    expect(() => resolveRestSettings('xai', {}, {})).toThrow(/no API key \(set XAI_API_KEY/);
    expect(() => resolveRestSettings('openai', {}, {})).toThrow(/unknown REST agent type/);
    expect(() =>
      resolveRestSettings('xai', { baseUrl: 'not a url' }, { XAI_API_KEY: 'k' }),
    ).toThrow(/invalid base URL/);
  });
});
