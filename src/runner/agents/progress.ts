/** Progress parser builders: JSONL streams map events to lines; plain-text agents pass lines through. */
import { JsonlSplitter, obj, str, type JsonObject } from './jsonl.js';
import type { ProgressLine, ProgressParser } from './types.js';

/** Longest progress line we hand to the UI. */
const MAX_PROGRESS_TEXT = 500;

export function clip(text: string, max = MAX_PROGRESS_TEXT): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `map` may keep state across events (e.g. buffering text deltas) through its closure. */
export function jsonlProgressParser(map: (event: JsonObject) => ProgressLine[]): ProgressParser {
  const splitter = new JsonlSplitter();
  return {
    push(chunk: string): ProgressLine[] {
      return splitter.push(chunk).flatMap(map);
    },
  };
}

/** For agents whose stdout is the answer itself (REST, command, demo): one line per line. */
export function textProgressParser(): ProgressParser {
  let buffer = '';
  return {
    push(chunk: string): ProgressLine[] {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      if (buffer.length > MAX_PROGRESS_TEXT * 4) {
        parts.push(buffer);
        buffer = '';
      }
      return parts
        .filter((line) => line.trim() !== '')
        .map((line) => ({ kind: 'text' as const, text: clip(line) }));
    },
  };
}

export function line(kind: ProgressLine['kind'], text: string): ProgressLine {
  return { kind, text: clip(text) };
}

/** One short readable hint of a tool's input (command, path or pattern). */
export function briefInput(input: unknown): string {
  const value = obj(input);
  if (value === undefined) return '';
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description']) {
    const v = str(value[key]);
    if (v !== undefined) return v;
  }
  return '';
}
