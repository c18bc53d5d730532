import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('returns data of complete events across arbitrary chunk splits', () => {
    const text = 'data: {"a":1}\n\n: comment\nevent: x\nid: 3\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    for (const size of [1, 3, 7, text.length]) {
      const p = new SseParser();
      const out: string[] = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      out.push(...p.end());
      expect(out).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    }
  });

  it('handles CRLF and CR line ends, multi-line data and a last event without blank line', () => {
    const p = new SseParser();
    expect(p.push('data: one\r\ndata: two\r\n\r')).toEqual([]);
    expect(p.push('\ndata:x\r\rdata: tail')).toEqual(['one\ntwo', 'x']);
    expect(p.end()).toEqual(['tail']);
  });
});
