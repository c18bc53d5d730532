import { describe, expect, it } from 'vitest';
import { JsonlSplitter, parseJsonl, show } from './jsonl.js';

describe('JsonlSplitter', () => {
  it('parses whole lines and keeps a partial last line until more data arrives', () => {
    const s = new JsonlSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual([{ a: 1 }]);
    expect(s.push(':2}\n')).toEqual([{ b: 2 }]);
    expect(s.push('{"c":3}')).toEqual([]);
    expect(s.end()).toEqual([{ c: 3 }]);
  });

  it('skips bad JSON, plain log lines, arrays and scalars', () => {
    const text = 'not json\n{"ok":true}\n{broken\n[1,2]\n42\n\r\n{"x":"y"}\r\n';
    expect(parseJsonl(text)).toEqual([{ ok: true }, { x: 'y' }]);
  });

  it('drops a line longer than the limit, even across chunks, and recovers after it', () => {
    const s = new JsonlSplitter(100);
    const huge = `{"big":"${'x'.repeat(150)}"}`;
    expect(s.push(huge.slice(0, 60))).toEqual([]);
    expect(s.push(huge.slice(60))).toEqual([]);
    expect(s.push('\n{"after":1}\n')).toEqual([{ after: 1 }]);
  });

  it('drops a 2 MiB line with the default 1 MiB limit', () => {
    const huge = `{"big":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    expect(parseJsonl(`{"a":1}\n${huge}\n{"b":2}\n`)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('handles chunks split at every byte', () => {
    const text = '{"type":"x","n":1}\n{"type":"y","n":2}\n';
    const s = new JsonlSplitter();
    const out = [...text].flatMap((ch) => s.push(ch));
    expect(out).toEqual([
      { type: 'x', n: 1 },
      { type: 'y', n: 2 },
    ]);
  });
});

describe('show', () => {
  it('renders scalars and replaces objects with the fallback', () => {
    expect(show('a')).toBe('a');
    expect(show(3)).toBe('3');
    expect(show({})).toBe('?');
    expect(show(undefined, 'none')).toBe('none');
  });
});
