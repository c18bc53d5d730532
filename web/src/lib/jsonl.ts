// One line of an agent's JSON stream (claude stream-json, codex --json, gemini stream-json)
// as a short human line: who/what, then the text. Unknown shapes fall back to their type.

export interface JsonLine {
  kind: string;
  text: string;
}

type Json = Record<string, unknown>;
const MAX_TEXT = 2000;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const clip = (text: string): string =>
  text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
const compact = (value: unknown): string =>
  value === undefined ? '' : clip(JSON.stringify(value));

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (!isObject(part)) return '';
      if (part.type === 'text') return str(part.text);
      if (part.type === 'thinking') return `(thinking) ${str(part.thinking)}`;
      if (part.type === 'tool_use') return `${str(part.name)} ${compact(part.input)}`;
      if (part.type === 'tool_result') return contentText(part.content);
      return '';
    })
    .filter(Boolean)
    .join(' ');
}

function claude(event: Json): JsonLine | undefined {
  const message = isObject(event.message) ? event.message : undefined;
  switch (event.type) {
    case 'system':
      return { kind: 'system', text: `${str(event.subtype)} ${str(event.model)}`.trim() };
    case 'assistant': {
      const content = message?.content;
      const tool =
        Array.isArray(content) && content.some((p) => isObject(p) && p.type === 'tool_use');
      return { kind: tool ? 'tool' : 'assistant', text: clip(contentText(content)) };
    }
    case 'user':
      return message
        ? { kind: 'tool result', text: clip(contentText(message.content)) }
        : undefined;
    case 'result': {
      const errors = Array.isArray(event.errors) ? event.errors.map(String).join('; ') : '';
      return {
        kind: 'result',
        text: clip(`${str(event.subtype)} ${str(event.result) || errors}`.trim()),
      };
    }
    default:
      return undefined;
  }
}

function codex(event: Json): JsonLine | undefined {
  const type = str(event.type);
  if (type === 'item.completed' || type === 'item.started') {
    const item = isObject(event.item) ? event.item : {};
    if (item.type === 'agent_message') return { kind: 'assistant', text: clip(str(item.text)) };
    if (item.type === 'reasoning') return { kind: 'thinking', text: clip(str(item.text)) };
    if (item.type === 'command_execution') {
      const exit = typeof item.exit_code === 'number' ? ` (exit ${item.exit_code})` : '';
      return { kind: 'command', text: clip(`$ ${str(item.command)}${exit}`) };
    }
    return { kind: str(item.type) || type, text: clip(str(item.text)) };
  }
  if (type === 'turn.completed') return { kind: 'turn', text: `completed ${compact(event.usage)}` };
  if (type === 'turn.failed') {
    const error = isObject(event.error) ? str(event.error.message) : '';
    return { kind: 'error', text: `turn failed: ${error}` };
  }
  if (type.startsWith('thread.') || type.startsWith('turn.')) return { kind: 'turn', text: type };
  return undefined;
}

function gemini(event: Json): JsonLine | undefined {
  switch (event.type) {
    case 'init':
      return { kind: 'system', text: `init ${str(event.model)}`.trim() };
    case 'message':
      return { kind: str(event.role) || 'message', text: clip(contentText(event.content)) };
    case 'tool_use':
      return { kind: 'tool', text: clip(`${str(event.tool_name)} ${compact(event.parameters)}`) };
    case 'tool_result':
      return { kind: 'tool result', text: clip(str(event.output) || str(event.status)) };
    case 'result': {
      const error = isObject(event.error) ? str(event.error.message) : '';
      return { kind: 'result', text: `${str(event.status)} ${error}`.trim() };
    }
    default:
      return undefined;
  }
}

/** Summary of a JSON stream line, or undefined when the line is not a JSON object. */
export function summarizeJsonLine(line: string): JsonLine | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  let event: unknown;
  try {
    event = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!isObject(event)) return undefined;
  const known =
    ('session_id' in event && 'message' in event) ||
    event.type === 'result' ||
    event.type === 'system'
      ? claude(event)
      : undefined;
  const summary = known ?? codex(event) ?? gemini(event);
  if (summary) return summary;
  const type = str(event.type) || 'json';
  return { kind: type, text: clip(str(event.message) || str(event.text) || compact(event)) };
}

/** True when most of the first lines are JSON objects (an agent's JSON stream). */
export function looksLikeJsonl(lines: readonly string[]): boolean {
  const sample = lines.filter((l) => l.trim() !== '').slice(0, 20);
  if (sample.length === 0) return false;
  return sample.filter((l) => l.trim().startsWith('{')).length * 2 > sample.length;
}
