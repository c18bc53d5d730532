import { describe, expect, it } from 'vitest';
import { parseFlatYaml, parseYaml, yamlField, yamlString } from './yaml.js';

describe('yaml', () => {
  it('quotes exactly the strings YAML would read as another type', () => {
    for (const value of [
      '',
      'true',
      'no',
      '1.0',
      '42',
      '0x1f',
      '2026-11-26T14:57:28Z',
      'a: b',
      'x #y',
      '-',
      ' lead',
    ]) {
      const text = yamlField('k', value);
      expect(parseYaml(text)).toEqual({ k: value });
      expect(parseFlatYaml(text)).toEqual({ k: value });
    }
    expect(yamlString('plain-text_1.2/x')).toBe('plain-text_1.2/x');
    expect(yamlString('')).toBe('""');
  });

  it('fast path agrees with the full parser on flat documents and declines anything else', () => {
    const flat =
      "a: 1\nb: -2\nc: 1.5\nd: true\ne: \"\"\nf: 'it''s'\ng: 2026-11-26T14:57:28.073Z\nh:\ni: ~\n";
    expect(parseFlatYaml(flat)).toEqual(parseYaml(flat));
    expect(parseFlatYaml('a:\n  - x\n')).toBeUndefined();
    expect(parseFlatYaml('a: [1, 2]\n')).toBeUndefined();
    expect(parseFlatYaml('a: |\n  text\n')).toBeUndefined();
    expect(parseFlatYaml('a: x # comment\n')).toBeUndefined();
  });

  it('writes nested values Go-style with 4-space indentation', () => {
    expect(yamlField('parents', [{ msg_id: 'MSG-1', kind: 'reply' }])).toBe(
      'parents:\n    - msg_id: MSG-1\n      kind: reply',
    );
    expect(yamlField('meta', {})).toBe('meta: {}');
  });
});
