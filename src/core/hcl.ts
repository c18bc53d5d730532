/**
 * The reference's home config, `~/.run-agent/conductor-loop.hcl`, read into the same plain
 * object a config.yaml parses to, so config.ts validates both with one schema.
 *
 * Why a parser here: there is no maintained, light HCL library for JS (the options are
 * multi-MB GopherJS/WASM builds of hashicorp/hcl), and the file needs only a small subset:
 * `name { ... }` blocks (nested blocks become nested maps), `key = value` attributes with
 * "strings" (escapes), numbers, true/false/null, [lists] and { key = value } objects, and
 * `#`, `//`, `/* *\/` comments. Bare words (`agent = claude`) read as strings because the
 * reference accepts them. Labels, heredocs, `${...}` templates and expressions are refused
 * with a clear error rather than misread.
 *
 * Mapping (compat.md §5): top-level `defaults`, `api` and `storage` blocks are those sections;
 * any other top-level block is an agent, `claude { ... }` = `agents.claude`.
 */
import { ConfigError } from './errors.js';

/** Top-level block names that are config sections, not agents. */
const SECTIONS = new Set(['defaults', 'api', 'storage']);

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
type Body = Record<string, Value>;

/** Parse HCL config text; every problem is a ConfigError `config <path>: invalid HCL: <line>:<col> <what>`. */
export function parseHclConfig(text: string, path: string): Record<string, unknown> {
  const parser = new HclParser(text.startsWith('\uFEFF') ? text.slice(1) : text, path);
  const config: Record<string, unknown> = {};
  const agents: Body = {};
  for (const entry of parser.parseBody(undefined)) {
    if (!entry.isBlock) {
      parser.fail(
        entry.at,
        `top-level attribute "${entry.key}": settings go inside a block (defaults { ... }, api { ... }, storage { ... } or <agent> { ... })`,
      );
    }
    if (SECTIONS.has(entry.key)) setOwn(config, entry.key, entry.value);
    else setOwn(agents, entry.key, entry.value);
  }
  if (Object.keys(agents).length > 0) config.agents = agents;
  return config;
}

interface Entry {
  key: string;
  value: Value;
  isBlock: boolean;
  at: number;
}

/** Own data property, so a key like `__proto__` stays a key (and fails validation). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_-]/;
const BARE_WORD = /[A-Za-z0-9_.-]/;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

class HclParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly path: string,
  ) {}

  /** Attributes and blocks up to `}` (inside a block opened at `openedAt`) or end of file. */
  parseBody(openedAt: { name: string; at: number } | undefined): Entry[] {
    const entries: Entry[] = [];
    const seen = new Map<string, number>();
    for (;;) {
      this.skipSpace(true);
      const ch = this.text[this.pos];
      if (ch === undefined) {
        if (openedAt === undefined) return entries;
        this.fail(openedAt.at, `block "${openedAt.name}" is not closed (missing "}")`);
      }
      if (ch === '}') {
        if (openedAt === undefined) this.fail(this.pos, 'unexpected "}" (no block is open)');
        this.pos++;
        return entries;
      }
      const at = this.pos;
      if (!IDENT_START.test(ch)) {
        this.fail(at, `expected an attribute or block name, found ${this.describe(at)}`);
      }
      const key = this.readWhile(IDENT);
      const first = seen.get(key);
      if (first !== undefined) {
        this.fail(at, `duplicate "${key}" (first set at line ${this.lineCol(first).line})`);
      }
      seen.set(key, at);
      this.skipSpace(false);
      const next = this.text[this.pos];
      let entry: Entry;
      if (next === '=') {
        this.pos++;
        entry = { key, value: this.parseValue(), isBlock: false, at };
      } else if (next === '{') {
        this.pos++;
        const body: Body = {};
        for (const inner of this.parseBody({ name: key, at })) setOwn(body, inner.key, inner.value);
        entry = { key, value: body, isBlock: true, at };
      } else if (next === '"' || (next !== undefined && IDENT_START.test(next))) {
        this.fail(this.pos, `block labels are not supported: write ${key} { ... }`);
      } else {
        this.fail(this.pos, `expected "=" or "{" after "${key}", found ${this.describe(this.pos)}`);
      }
      entries.push(entry);
      this.endOfLine(key);
    }
  }

  /** After an attribute or a block: only a comment, then a new line, `}` or end of file. */
  private endOfLine(key: string): void {
    this.skipSpace(false);
    const ch = this.text[this.pos];
    if (ch === undefined || ch === '\n' || ch === '}') return;
    if (ch === '\r' && this.text[this.pos + 1] === '\n') return;
    this.fail(this.pos, `expected a new line after "${key}", found ${this.describe(this.pos)}`);
  }

  private parseValue(): Value {
    this.skipSpace(false);
    const at = this.pos;
    const ch = this.text[at];
    if (ch === '"') return this.parseString();
    if (ch === '[') return this.parseList();
    if (ch === '{') return this.parseObject();
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(this.text);
    if (number !== null) {
      this.pos += number[0].length;
      const rest = this.text[this.pos];
      if (rest !== undefined && BARE_WORD.test(rest)) {
        this.fail(at, `write ${JSON.stringify(number[0] + this.readWhile(BARE_WORD))} in quotes`);
      }
      return Number(number[0]);
    }
    if (ch !== undefined && IDENT_START.test(ch)) {
      const word = this.readWhile(BARE_WORD);
      if (word === 'true' || word === 'false') return word === 'true';
      return word === 'null' ? null : word;
    }
    if (this.text.startsWith('<<', at)) this.fail(at, 'heredoc strings are not supported');
    this.fail(
      at,
      `expected a value ("string", number, true/false, [list] or { object }), found ${this.describe(at)}`,
    );
  }

  private parseString(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '\n' || ch === '\r') this.fail(start, 'unterminated string');
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\') {
        out += this.parseEscape();
        continue;
      }
      const pair = this.text.slice(this.pos, this.pos + 3);
      if (pair === '$${' || pair === '%%{') {
        out += pair.slice(1);
        this.pos += 3;
        continue;
      }
      if (pair.startsWith('${') || pair.startsWith('%{')) {
        this.fail(this.pos, 'templates are not supported (write $${ for a literal "${")');
      }
      out += ch;
      this.pos++;
    }
  }

  private parseEscape(): string {
    const at = this.pos;
    const kind = this.text[at + 1] ?? '';
    const simple = ESCAPES[kind];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const digits = kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
    const hex = this.text.slice(at + 2, at + 2 + digits);
    const code = Number.parseInt(hex, 16);
    if (digits === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits || code > 0x10ffff) {
      this.fail(at, `invalid escape "\\${kind}" in string`);
    }
    this.pos += 2 + digits;
    return String.fromCodePoint(code);
  }

  private parseList(): Value[] {
    const open = this.pos;
    this.pos++;
    const items: Value[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
      if (this.text[this.pos] === undefined) this.fail(open, 'list is not closed (missing "]")');
      items.push(this.parseValue());
      this.skipSpace(true);
      const ch = this.text[this.pos];
      if (ch === ',') this.pos++;
      else if (ch !== ']') {
        this.fail(this.pos, `expected "," or "]" in list, found ${this.describe(this.pos)}`);
      }
    }
  }

  /** `{ key = value, "quoted key": value }`: commas or new lines between items. */
  private parseObject(): Body {
    const open = this.pos;
    this.pos++;
    const object: Body = {};
    for (;;) {
      this.skipSpace(true);
      const at = this.pos;
      const ch = this.text[at];
      if (ch === '}') {
        this.pos++;
        return object;
      }
      if (ch === undefined) this.fail(open, 'object is not closed (missing "}")');
      let key: string;
      if (ch === '"') key = this.parseString();
      else if (IDENT_START.test(ch)) key = this.readWhile(IDENT);
      else this.fail(at, `expected an object key, found ${this.describe(at)}`);
      if (Object.hasOwn(object, key)) this.fail(at, `duplicate "${key}" in object`);
      this.skipSpace(false);
      const sep = this.text[this.pos];
      if (sep !== '=' && sep !== ':') {
        this.fail(this.pos, `expected "=" after "${key}", found ${this.describe(this.pos)}`);
      }
      this.pos++;
      setOwn(object, key, this.parseValue());
      this.skipSpace(false);
      const after = this.text[this.pos];
      if (after === ',') this.pos++;
      else if (after !== '}' && after !== '\n' && after !== '\r') {
        this.fail(this.pos, `expected "," or "}" in object, found ${this.describe(this.pos)}`);
      }
    }
  }

  /** Spaces, tabs and comments; new lines too when `newlines` (they end attributes otherwise). */
  private skipSpace(newlines: boolean): void {
    const { text } = this;
    for (;;) {
      const ch = text[this.pos];
      if (ch === ' ' || ch === '\t' || (newlines && (ch === '\n' || ch === '\r'))) {
        this.pos++;
      } else if (ch === '#' || (ch === '/' && text[this.pos + 1] === '/')) {
        const end = text.indexOf('\n', this.pos);
        this.pos = end < 0 ? text.length : end;
      } else if (ch === '/' && text[this.pos + 1] === '*') {
        const end = text.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail(this.pos, 'comment is not closed (missing "*/")');
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  private readWhile(pattern: RegExp): string {
    const start = this.pos;
    while (this.pos < this.text.length && pattern.test(this.text[this.pos] ?? '')) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private describe(at: number): string {
    const ch = this.text[at];
    if (ch === undefined) return 'end of file';
    if (ch === '\n' || ch === '\r') return 'end of line';
    return JSON.stringify(this.text.slice(at).match(/^[^\s]{1,20}/)?.[0] ?? ch);
  }

  private lineCol(at: number): { line: number; col: number } {
    const before = this.text.slice(0, at);
    const lineStart = before.lastIndexOf('\n') + 1;
    return { line: before.split('\n').length, col: at - lineStart + 1 };
  }

  fail(at: number, what: string): never {
    const { line, col } = this.lineCol(at);
    throw new ConfigError(
      'CONFIG_INVALID',
      `config ${this.path}: invalid HCL: ${line}:${col} ${what}`,
    );
  }
}
