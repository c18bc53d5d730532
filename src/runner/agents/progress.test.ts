import { describe, expect, it } from 'vitest';
import { briefInput, clip, textProgressParser } from './progress.js';

describe('textProgressParser', () => {
  it('emits complete non-empty lines and keeps the partial one', () => {
    const p = textProgressParser();
    expect(p.push('first\n\nsec')).toEqual([{ kind: 'text', text: 'first' }]);
    expect(p.push('ond\n')).toEqual([{ kind: 'text', text: 'second' }]);
  });

  it('flushes a very long line without a newline instead of holding it', () => {
    const p = textProgressParser();
    const out = p.push('x'.repeat(5000));
    expect(out).toHaveLength(1);
    expect(out[0]!.text.length).toBeLessThanOrEqual(500);
  });
});

describe('helpers', () => {
  it('briefInput picks the most telling field', () => {
    expect(briefInput({ command: 'ls -la' })).toBe('ls -la');
    expect(briefInput({ file_path: '/a/b.ts', content: '...' })).toBe('/a/b.ts');
    expect(briefInput('x')).toBe('');
  });

  it('clip flattens whitespace and shortens', () => {
    expect(clip('a\n  b')).toBe('a b');
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
