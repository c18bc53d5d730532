/**
 * Bus record format (compat.md §3): YAML front matter between `---` lines, then the body.
 *
 *   ---
 *   msg_id: MSG-…
 *   ts: 2026-02-20T15:30:45.123456789Z
 *   type: FACT
 *   project_id: p
 *   task_id: ""
 *   run_id: ""
 *   ---
 *   <body>
 *
 * Records after the first are preceded by one "\n" separator. Byte-compatible with the
 * reference for the usual body (no trailing newline). Two deliberate differences, both
 * invisible to the reference's reader: a body line that is exactly `---` is written with one
 * extra leading space (and restored on read) so it cannot end the record, and the writer
 * always appends "\n" after the body, so parse(format(body)) gives the body back exactly.
 */
import { lazySchema } from '../core/zod-lazy.js';
import { legacyLineMsgId } from '../core/ids.js';
import { parseYaml, yamlString, yamlTimestamp } from '../core/yaml.js';

export interface BusParent {
  msg_id: string;
  kind?: string;
  meta?: Record<string, string>;
}

export interface BusLink {
  url: string;
  label?: string;
  kind?: string;
}

export interface BusMessage {
  msg_id: string;
  ts: string;
  type: string;
  project_id: string;
  task_id: string;
  run_id: string;
  issue_id?: string;
  parents?: BusParent[];
  links?: BusLink[];
  meta?: Record<string, string>;
  body: string;
}

// ---- validation of what we read -------------------------------------------------------

// zod costs more to load than Node itself starts in; only headers with nested fields need it,
// so it is loaded on first use and `bus post` never pays for it.
const headerSchema = lazySchema((z) => {
  /** YAML scalars may come back as numbers/booleans (e.g. `run_id: 123`); Go reads them as text. */
  const text = z.pipe(
    z.union([z.string(), z.number(), z.boolean(), z.null()]),
    z.transform((v: string | number | boolean | null) => (v === null ? '' : String(v))),
  );
  const stringMap = z.record(z.string(), text);
  const parentSchema = z.union([
    z.pipe(
      z.string(),
      z.transform((msg_id: string) => ({ msg_id })),
    ),
    z.object({
      msg_id: text,
      kind: z.optional(text),
      meta: z.nullable(z.optional(stringMap)),
    }),
  ]);
  const linkSchema = z.object({ url: text, label: z.optional(text), kind: z.optional(text) });
  return z.object({
    msg_id: z.string().check(z.minLength(1)),
    ts: z._default(text, ''),
    type: z._default(text, ''),
    project_id: z._default(text, ''),
    task_id: z._default(text, ''),
    run_id: z._default(text, ''),
    issue_id: z.optional(text),
    parents: z.optional(z.nullable(z.array(parentSchema))),
    links: z.optional(z.nullable(z.array(linkSchema))),
    meta: z.optional(z.nullable(stringMap)),
  });
});

type Header = Omit<BusMessage, 'body'>;

function toHeader(raw: unknown): Header | undefined {
  const parsed = headerSchema().safeParse(raw);
  if (!parsed.success) return undefined;
  const h = parsed.data;
  const header: Header = {
    msg_id: h.msg_id,
    ts: h.ts,
    type: h.type,
    project_id: h.project_id,
    task_id: h.task_id,
    run_id: h.run_id,
  };
  if (h.issue_id !== undefined && h.issue_id !== '') header.issue_id = h.issue_id;
  if (h.parents && h.parents.length > 0) {
    header.parents = h.parents.map((p) => {
      const parent: BusParent = { msg_id: p.msg_id };
      if ('kind' in p && p.kind !== undefined && p.kind !== '') parent.kind = p.kind;
      if ('meta' in p && p.meta && Object.keys(p.meta).length > 0) parent.meta = p.meta;
      return parent;
    });
  }
  if (h.links && h.links.length > 0) {
    header.links = h.links.map((l) => {
      const link: BusLink = { url: l.url };
      if (l.label !== undefined && l.label !== '') link.label = l.label;
      if (l.kind !== undefined && l.kind !== '') link.kind = l.kind;
      return link;
    });
  }
  if (h.meta && Object.keys(h.meta).length > 0) header.meta = h.meta;
  return header;
}

// ---- header parsing ----------------------------------------------------------------------

/**
 * Fast path for the common header: only `key: scalar` lines, read in place (no copies of the
 * block, one object per record). Anything nested, flow-style, commented or oddly quoted
 * returns undefined and goes through js-yaml and zod instead.
 */
function parseFlatHeader(
  textBlock: string,
  start: number,
  stop: number,
): Header | null | undefined {
  const header: Header = { msg_id: '', ts: '', type: '', project_id: '', task_id: '', run_id: '' };
  let pos = start;
  while (pos < stop) {
    let end = textBlock.indexOf('\n', pos);
    if (end === -1 || end > stop) end = stop;
    const lineEnd = textBlock.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd > pos) {
      const colon = textBlock.indexOf(': ', pos);
      if (colon === -1 || colon >= lineEnd || !isPlainKey(textBlock, pos, colon)) return undefined;
      const value = scalarValue(textBlock.slice(colon + 2, lineEnd));
      if (value === undefined) return undefined;
      switch (colon - pos) {
        case 2:
          if (textBlock.startsWith('ts', pos)) header.ts = value;
          break;
        case 4:
          if (textBlock.startsWith('type', pos)) header.type = value;
          else if (textBlock.startsWith('meta', pos)) return undefined;
          break;
        case 5:
          if (textBlock.startsWith('links', pos)) return undefined;
          break;
        case 6:
          if (textBlock.startsWith('msg_id', pos)) header.msg_id = value;
          else if (textBlock.startsWith('run_id', pos)) header.run_id = value;
          break;
        case 7:
          if (textBlock.startsWith('task_id', pos)) header.task_id = value;
          else if (textBlock.startsWith('parents', pos)) return undefined;
          break;
        case 8:
          if (textBlock.startsWith('issue_id', pos) && value !== '') header.issue_id = value;
          break;
        case 10:
          if (textBlock.startsWith('project_id', pos)) header.project_id = value;
          break;
      }
    }
    pos = end + 1;
  }
  // A flat header's fields are strings already: a msg_id is the whole validation.
  return header.msg_id === '' ? null : header;
}

/** `[A-Za-z_][A-Za-z0-9_]*` between start and end. */
function isPlainKey(textBlock: string, start: number, end: number): boolean {
  if (end === start) return false;
  for (let i = start; i < end; i++) {
    const c = textBlock.charCodeAt(i);
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
    if (!letter && !(i > start && c >= 48 && c <= 57)) return false;
  }
  return true;
}

const PLAIN_FAST = /^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$/;

function scalarValue(raw: string): string | undefined {
  // Ids and timestamps: nothing to interpret (null words are excluded by needing no quotes).
  if (PLAIN_FAST.test(raw) && !/^(?:null|Null|NULL)$/.test(raw)) return raw;
  const value = raw.trimEnd();
  if (value === '') return undefined;
  const first = value.charCodeAt(0);
  if (first === 0x22 /* " */) {
    if (value === '""') return '';
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  if (first === 0x27 /* ' */) {
    if (value.length < 2 || !value.endsWith("'")) return undefined;
    const inner = value.slice(1, -1);
    return /'(?!')/.test(inner.replace(/''/g, '')) ? undefined : inner.replace(/''/g, "'");
  }
  // Flow collections, anchors, tags, block scalars, comments and null words need real YAML.
  if (/^[[{&*!|>%@`#]/.test(value) || value.includes(' #')) return undefined;
  if (/^(?:~|null|Null|NULL)$/.test(value)) return undefined;
  return value;
}

function parseHeader(textBlock: string, start: number, stop: number): Header | undefined {
  const flat = parseFlatHeader(textBlock, start, stop);
  if (flat !== undefined) return flat ?? undefined;
  let raw: unknown;
  try {
    raw = parseYaml(textBlock.slice(start, stop));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  return toHeader(raw);
}

// ---- body escaping --------------------------------------------------------------------------

// A body line that reads as a separator (`---`, optionally `\r`) would end the record. We
// shift every line of the form <spaces>--- by one space on write and back on read, which
// is reversible and leaves the reference reader with (at worst) a slightly indented line.
const SEPARATOR_LIKE = /^( *)---(\r?)$/gm;
const ESCAPED_SEPARATOR = /^ ( *)---(\r?)$/gm;

export function escapeBody(body: string): string {
  return body.includes('---') ? body.replace(SEPARATOR_LIKE, ' $1---$2') : body;
}

export function unescapeBody(body: string): string {
  return body.includes('---') ? body.replace(ESCAPED_SEPARATOR, '$1---$2') : body;
}

// ---- formatting ------------------------------------------------------------------------------

function sortedMap(map: Record<string, string>, indent: string): string {
  let out = '';
  for (const key of Object.keys(map).sort()) {
    out += `${indent}${yamlString(key)}: ${yamlString(map[key] ?? '')}\n`;
  }
  return out;
}

/** One record (`---\n<header>---\n<body>\n`), without the leading separator. */
export function formatRecord(message: BusMessage): string {
  let out = '---\n';
  out += `msg_id: ${yamlString(message.msg_id)}\n`;
  out += `ts: ${yamlTimestamp(message.ts)}\n`;
  out += `type: ${yamlString(message.type)}\n`;
  out += `project_id: ${yamlString(message.project_id)}\n`;
  out += `task_id: ${yamlString(message.task_id)}\n`;
  out += `run_id: ${yamlString(message.run_id)}\n`;
  if (message.issue_id) out += `issue_id: ${yamlString(message.issue_id)}\n`;
  if (message.parents && message.parents.length > 0) {
    out += 'parents:\n';
    for (const p of message.parents) {
      out += `    - msg_id: ${yamlString(p.msg_id)}\n`;
      if (p.kind) out += `      kind: ${yamlString(p.kind)}\n`;
      if (p.meta && Object.keys(p.meta).length > 0) {
        out += '      meta:\n' + sortedMap(p.meta, '          ');
      }
    }
  }
  if (message.links && message.links.length > 0) {
    out += 'links:\n';
    for (const l of message.links) {
      out += `    - url: ${yamlString(l.url)}\n`;
      if (l.label) out += `      label: ${yamlString(l.label)}\n`;
      if (l.kind) out += `      kind: ${yamlString(l.kind)}\n`;
    }
  }
  if (message.meta && Object.keys(message.meta).length > 0) {
    out += 'meta:\n' + sortedMap(message.meta, '    ');
  }
  return `${out}---\n${escapeBody(message.body)}\n`;
}

/** Records as appended to a file that already holds `existingBytes` bytes. */
export function formatRecords(messages: readonly BusMessage[], existingBytes: number): string {
  let out = '';
  for (let i = 0; i < messages.length; i++) {
    if (existingBytes > 0 || i > 0) out += '\n';
    out += formatRecord(messages[i]!);
  }
  return out;
}

// ---- legacy one-line records -----------------------------------------------------------------

const LEGACY_LINE = /^\[([^\]]+)\]\s*(.*)$/;
const LEGACY_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/;
const LEGACY_TYPE = /^([A-Za-z0-9_/-]+):\s?(.*)$/;

/** `[2026-01-02 15:04:05] TYPE: body` (the pre-YAML format), or undefined. */
export function parseLegacyLine(line: string, lineNumber: number): BusMessage | undefined {
  const m = LEGACY_LINE.exec(line);
  if (!m) return undefined;
  const ts = LEGACY_TS.exec(m[1]!.trim());
  if (!ts) return undefined;
  const rest = m[2] ?? '';
  const typed = LEGACY_TYPE.exec(rest);
  return {
    msg_id: legacyLineMsgId(lineNumber),
    ts: `${ts[1]}T${ts[2]}${ts[3] ?? 'Z'}`,
    type: typed ? typed[1]!.toUpperCase() : 'INFO',
    project_id: '',
    task_id: '',
    run_id: '',
    body: typed ? typed[2]! : rest,
  };
}

// ---- the parser --------------------------------------------------------------------------------

export interface ParseOptions {
  /**
   * true (default): the text is the whole file, so a last record whose body ends with a
   * newline counts. false: more may follow (a growing file), so only records closed by a
   * following `---` are returned and the open one is left in the rest.
   */
  final?: boolean;
  /** 1-based number of the text's first line in the file (legacy ids use line numbers). */
  firstLine?: number;
}

export interface ParseResult {
  messages: BusMessage[];
  /** Char index in the text where each message's record starts. */
  starts: number[];
  /** Char index where unconsumed text starts (an open record, or a partial line). */
  rest: number;
  /** Line number (1-based, in the file) of `rest`. */
  restLine: number;
}

const enum State {
  Outside,
  Header,
  Body,
}

function isSeparator(textBlock: string, start: number, end: number): boolean {
  const len = end - start;
  if (len !== 3 && !(len === 4 && textBlock.charCodeAt(end - 1) === 13)) return false;
  return (
    textBlock.charCodeAt(start) === 45 &&
    textBlock.charCodeAt(start + 1) === 45 &&
    textBlock.charCodeAt(start + 2) === 45
  );
}

function stripNewline(value: string): string {
  return value.endsWith('\n') ? value.slice(0, -1) : value;
}

/**
 * The reference's state machine: outside a record, `---` opens a header and other lines are
 * legacy records; the next `---` closes the header; the body runs to the next `---`, which
 * opens the following record. An invalid header is skipped and its closing `---` is taken as
 * the opener of the next record, which resynchronises after a stray `---` in a body.
 */
export function parseBusText(textBlock: string, options: ParseOptions = {}): ParseResult {
  const final = options.final ?? true;
  const firstLine = options.firstLine ?? 1;
  const messages: BusMessage[] = [];
  const starts: number[] = [];
  let state = State.Outside;
  let header: Header | undefined;
  // Each header object becomes its message (body added), so no copy per record.
  let recordStart = 0;
  let recordLine = firstLine;
  let headerStart = 0;
  let bodyStart = 0;
  let rest = 0;
  let restLine = firstLine;
  let pos = 0;
  let line = firstLine;
  const length = textBlock.length;

  const finishRecord = (end: number, closedBySeparator: boolean): void => {
    let body = textBlock.slice(bodyStart, end);
    // The separator newline before the next record, then the newline the writer appended.
    if (closedBySeparator) body = stripNewline(body);
    body = unescapeBody(stripNewline(body));
    const message = header as BusMessage;
    message.body = body;
    messages.push(message);
    starts.push(recordStart);
  };

  while (pos < length) {
    const nl = textBlock.indexOf('\n', pos);
    if (nl === -1) break;
    const sep = isSeparator(textBlock, pos, nl);
    if (state === State.Outside) {
      if (sep) {
        state = State.Header;
        recordStart = pos;
        recordLine = line;
        headerStart = nl + 1;
      } else {
        if (textBlock.charCodeAt(pos) === 91 /* [ */) {
          let lineText = textBlock.slice(pos, nl);
          if (lineText.endsWith('\r')) lineText = lineText.slice(0, -1);
          const legacy = parseLegacyLine(lineText, line);
          if (legacy) {
            messages.push(legacy);
            starts.push(pos);
          }
        }
        rest = nl + 1;
        restLine = line + 1;
      }
    } else if (state === State.Header) {
      if (sep) {
        header = parseHeader(textBlock, headerStart, pos);
        if (header) {
          state = State.Body;
          bodyStart = nl + 1;
        } else {
          // Skip the invalid block; this separator may open the next record.
          recordStart = pos;
          recordLine = line;
          headerStart = nl + 1;
          rest = pos;
          restLine = line;
        }
      }
    } else if (sep) {
      finishRecord(pos, true);
      rest = pos;
      restLine = line;
      state = State.Header;
      recordStart = pos;
      recordLine = line;
      headerStart = nl + 1;
    }
    pos = nl + 1;
    line++;
  }

  if (final && state === State.Body && pos === length && pos > bodyStart) {
    // A last record counts when its body is complete lines (the writer ends it with "\n").
    finishRecord(pos, false);
    rest = pos;
    restLine = line;
  } else if (state !== State.Outside) {
    rest = recordStart;
    restLine = recordLine;
  }
  return { messages, starts, rest, restLine };
}

/** Parse a whole bus file's text. */
export function parseBus(textBlock: string): BusMessage[] {
  return parseBusText(textBlock).messages;
}
