/**
 * Server-sent events over fetch: the browser's EventSource cannot send an Authorization
 * header, and Node has none, so both read the body stream and parse frames here
 * (WHATWG "event stream interpretation", minus `retry:`).
 */

export interface SseEvent {
  /** `id:` of this frame, or the last one seen on the stream (spec semantics). */
  id: string | undefined;
  event: string;
  data: string;
}

/** Split a byte stream into SSE events; comment lines (`: ping`) are skipped. */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<SseEvent, void, undefined> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let lastId: string | undefined;
  let event = '';
  let data: string[] = [];
  let hasData = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = nextLineEnd(buffer)) >= 0) {
        const line = buffer.slice(0, newline);
        // A CR LF pair is one line ending.
        const skip = buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? 2 : 1;
        buffer = buffer.slice(newline + skip);
        if (line === '') {
          if (hasData)
            yield { id: lastId, event: event === '' ? 'message' : event, data: data.join('\n') };
          event = '';
          data = [];
          hasData = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') {
          data.push(value);
          hasData = true;
        } else if (field === 'id' && !value.includes('\0')) lastId = value;
      }
      if (done) return;
    }
  } finally {
    // Cancelling releases the connection when the consumer stops early.
    await reader.cancel().catch(() => undefined);
  }
}

function nextLineEnd(text: string): number {
  const cr = text.indexOf('\r');
  const lf = text.indexOf('\n');
  if (cr < 0) return lf;
  if (lf < 0) return cr === text.length - 1 ? -1 : cr; // a trailing CR may be half of CR LF
  return Math.min(cr, lf);
}
