import { describe, expect, it } from 'vitest';
import { readSseEvents, type SseEvent } from './sse-reader.js';

/** A byte stream delivered in the given chunks (to test frames split anywhere). */
function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of readSseEvents(streamOf(chunks))) events.push(e);
  return events;
}

describe('readSseEvents', () => {
  it('parses ids, event names, multi-line data and skips comments', async () => {
    const events = await collect([
      ': heartbeat\n\n',
      'id: 1\nevent: message\ndata: {"a":1}\n\n',
      'data: line one\ndata: line two\n\n',
      'event: heartbeat\ndata: {}\n\n',
    ]);
    expect(events).toEqual([
      { id: '1', event: 'message', data: '{"a":1}' },
      { id: '1', event: 'message', data: 'line one\nline two' },
      { id: '1', event: 'heartbeat', data: '{}' },
    ]);
  });

  it('handles CRLF and frames split across chunks, including inside a UTF-8 character', async () => {
    const bytes = 'id: 7\r\nevent: log\r\ndata: héllo\r\n\r\n';
    const text = new TextEncoder().encode(bytes);
    const split = text.indexOf(0xc3) + 1; // in the middle of "é"
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(text.slice(0, 5));
        controller.enqueue(text.slice(5, split));
        controller.enqueue(text.slice(split));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const e of readSseEvents(stream)) events.push(e);
    expect(events).toEqual([{ id: '7', event: 'log', data: 'héllo' }]);
  });

  it('drops an unterminated last frame', async () => {
    expect(await collect(['data: complete\n\n', 'data: partial'])).toEqual([
      { id: undefined, event: 'message', data: 'complete' },
    ]);
  });
});
