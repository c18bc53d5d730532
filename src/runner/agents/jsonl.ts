/**
 * JSON-lines splitting shared by every stream parser: one object per line, bad lines and
 * non-object values skipped, a partial last line kept until more data (or end()) arrives.
 * A line longer than 1 MiB is dropped whole, like the reference's bounded line buffer, so a
 * runaway agent cannot make a parser hold unbounded memory.
 */

export type JsonObject = Record<string, unknown>;

/** Longest line we parse, in UTF-16 code units (close enough to bytes for a safety cap). */
export const MAX_JSONL_LINE = 1024 * 1024;

export class JsonlSplitter {
  private buffer = '';
  /** True while discarding the rest of an over-long line. */
  private skipping = false;

  constructor(private readonly maxLine = MAX_JSONL_LINE) {}

  /** Feed a chunk; returns the objects of every line it completed. */
  push(chunk: string): JsonObject[] {
    const out: JsonObject[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.buffer = '';
        continue;
      }
      const line = this.buffer + piece;
      this.buffer = '';
      if (line.length <= this.maxLine) pushParsed(line, out);
    }
    const rest = chunk.slice(start);
    if (!this.skipping) {
      this.buffer += rest;
      if (this.buffer.length > this.maxLine) {
        this.buffer = '';
        this.skipping = true;
      }
    }
    return out;
  }

  /** Flush a final line that had no trailing newline. */
  end(): JsonObject[] {
    const out: JsonObject[] = [];
    if (!this.skipping && this.buffer.length > 0) pushParsed(this.buffer, out);
    this.buffer = '';
    this.skipping = false;
    return out;
  }
}

function pushParsed(line: string, out: JsonObject[]): void {
  const text = line.trim();
  if (!text.startsWith('{')) return;
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) out.push(value);
  } catch {
    // not JSON: agents mix in plain log lines; skip them
  }
}

/** Parse a whole stdout text into objects. */
export function parseJsonl(text: string): JsonObject[] {
  const splitter = new JsonlSplitter();
  return [...splitter.push(text), ...splitter.end()];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field readers that tolerate missing or mistyped fields in agent output. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function obj(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A scalar field as text for progress lines; objects and absent values become `fallback`. */
export function show(value: unknown, fallback = '?'): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : fallback;
}
