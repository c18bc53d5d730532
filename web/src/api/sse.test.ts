import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse';

describe('SseParser', () => {
  it('parses frames split across chunks, with ids, events, comments and CRLF', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser();
    const emit = (event: SseEvent) => events.push(event);
    parser.push(': heartbeat comment\n\nid: s=1;e=0\nevent: lo', emit);
    parser.push('g\ndata: {"text":"a"}\r\n\r\ndata: one\ndata: two\n', emit);
    parser.push('\n', emit);
    expect(events).toEqual([
      { id: 's=1;e=0', event: 'log', data: '{"text":"a"}' },
      { id: undefined, event: 'message', data: 'one\ntwo' },
    ]);
  });
});
