// Append-only log text kept as complete lines plus the unfinished last line, capped so a
// flooding agent cannot exhaust the tab (the full file stays downloadable).

export const MAX_LINES = 20_000;

export interface LogBuffer {
  lines: string[];
  partial: string;
  /** Bytes of the file we have seen (to resume the stream and drop repeats). */
  bytes: number;
  droppedLines: number;
}

export const emptyLog = (): LogBuffer => ({ lines: [], partial: '', bytes: 0, droppedLines: 0 });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends `text` that starts at byte `offset` of the file (undefined: right after ours). */
export function appendLog(buffer: LogBuffer, text: string, offset?: number): LogBuffer {
  let chunk = text;
  if (offset !== undefined && offset < buffer.bytes) {
    const bytes = encoder.encode(text);
    const skip = buffer.bytes - offset;
    if (skip >= bytes.length) return buffer;
    chunk = decoder.decode(bytes.subarray(skip));
  }
  if (chunk === '') return buffer;
  const parts = (buffer.partial + chunk.replace(/\r\n/g, '\n')).split('\n');
  const partial = parts.pop() ?? '';
  let lines = parts.length > 0 ? buffer.lines.concat(parts) : buffer.lines;
  let droppedLines = buffer.droppedLines;
  if (lines.length > MAX_LINES) {
    droppedLines += lines.length - MAX_LINES;
    lines = lines.slice(lines.length - MAX_LINES);
  }
  return { lines, partial, bytes: buffer.bytes + encoder.encode(chunk).length, droppedLines };
}

/** Starts a buffer from a file tail; a cut first line is dropped. */
export function logFromTail(text: string, fileBytes: number): LogBuffer {
  const tailBytes = encoder.encode(text).length;
  let body = text;
  let dropped = 0;
  if (tailBytes < fileBytes) {
    const newline = body.indexOf('\n');
    body = newline >= 0 ? body.slice(newline + 1) : '';
    dropped = 1;
  }
  const buffer = appendLog(emptyLog(), body);
  return { ...buffer, bytes: fileBytes, droppedLines: buffer.droppedLines + dropped };
}
