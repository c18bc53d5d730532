import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConductorError } from './errors.js';
import { parseHclConfig } from './hcl.js';

/** The template the reference writes to ~/.run-agent/conductor-loop.hcl on first run, verbatim. */
const TEMPLATE = readFileSync(
  join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'reference', 'conductor-loop.hcl'),
  'utf8',
);

const parse = (text: string): Record<string, unknown> => parseHclConfig(text, '/home/u/x.hcl');

function parseError(text: string): string {
  try {
    parse(text);
  } catch (error) {
    if (isConductorError(error)) {
      expect(error.exitCode).toBe(3);
      return error.message;
    }
    throw error;
  }
  throw new Error('expected the HCL to be refused');
}

describe('parseHclConfig: the reference files', () => {
  it('reads the reference template (all comments) as an empty config', () => {
    expect(TEMPLATE).toContain('# claude {');
    expect(parse(TEMPLATE)).toEqual({});
  });

  it('reads the template with its blocks uncommented: agent blocks become agents', () => {
    const uncommented = TEMPLATE.split('\n')
      .map((line) => (/^# ( {2}|[a-z]+ \{|\})/.test(line) ? line.slice(2) : line))
      .join('\n');
    expect(parse(uncommented)).toEqual({
      agents: {
        claude: { token_file: '~/.anthropic' },
        codex: { token_file: '~/.openai' },
        gemini: { token_file: '~/.vertex' },
        perplexity: { token_file: '~/.perplexity', model: 'sonar-pro' },
      },
      defaults: { agent: 'claude', timeout: 300, max_concurrent_runs: 4 },
    });
  });

  it('maps defaults, api and storage to their sections, any other block to an agent', () => {
    const text = [
      'codex {',
      '  token_file = "~/.config/tokens/openai"',
      '  model      = "o4-mini"',
      '}',
      '',
      'research {',
      '  type     = "perplexity"',
      '  base_url = "https://api.perplexity.ai/chat/completions"',
      '}',
      'defaults {',
      '  agent = "codex"',
      '}',
      'api {',
      '  port = 14355',
      '}',
      'storage {',
      '  runs_dir = "runs"',
      '}',
    ].join('\n');
    expect(parse(text)).toEqual({
      agents: {
        codex: { token_file: '~/.config/tokens/openai', model: 'o4-mini' },
        research: { type: 'perplexity', base_url: 'https://api.perplexity.ai/chat/completions' },
      },
      defaults: { agent: 'codex' },
      api: { port: 14355 },
      storage: { runs_dir: 'runs' },
    });
  });

  it('reads bare words as strings, as the reference does', () => {
    expect(parse('defaults {\n  agent = claude\n}\ncodex {\n  model = gpt-4.1-mini\n}\n')).toEqual({
      defaults: { agent: 'claude' },
      agents: { codex: { model: 'gpt-4.1-mini' } },
    });
  });
});

describe('parseHclConfig: syntax', () => {
  it('strings: escapes, unicode, literal $${ and %%{, # and // inside quotes', () => {
    const text =
      String.raw`a {
  s = "tab\there \"q\" back\\slash\nnew\r"
  u = "caf\u00e9 \U0001F600"
` +
      '  lit = "$${HOME} %%{x}"\n' +
      '  hash = "not # a comment // either"\n' +
      '  empty = ""\n}\n';
    expect(parse(text)).toEqual({
      agents: {
        a: {
          s: 'tab\there "q" back\\slash\nnew\r',
          u: 'café 😀',
          lit: '${HOME} %{x}',
          hash: 'not # a comment // either',
          empty: '',
        },
      },
    });
  });

  it('numbers, bools, null, lists and objects', () => {
    const text = [
      'a {',
      '  int = 42',
      '  neg = -7',
      '  float = 1.5',
      '  exp = 2e3',
      '  yes = true',
      '  no = false',
      '  nothing = null',
      '  list = [',
      '    "x", # first',
      '    2,',
      '    [true],',
      '  ]',
      '  inline = ["a", "b"]',
      '  none = []',
      '  env = { HTTPS_PROXY = "http://proxy:3128", "X-Y": 1 }',
      '  multi = {',
      '    a = 1',
      '    b = "two"',
      '  }',
      '}',
    ].join('\n');
    expect(parse(text)).toEqual({
      agents: {
        a: {
          int: 42,
          neg: -7,
          float: 1.5,
          exp: 2000,
          yes: true,
          no: false,
          nothing: null,
          list: ['x', 2, [true]],
          inline: ['a', 'b'],
          none: [],
          env: { HTTPS_PROXY: 'http://proxy:3128', 'X-Y': 1 },
          multi: { a: 1, b: 'two' },
        },
      },
    });
  });

  it('nested blocks, one-line blocks, empty blocks', () => {
    const text =
      'api {\n  host = "127.0.0.1"\n  sse {\n    poll_interval_ms = 250\n  }\n}\nclaude { model = "m" }\ngemini {}\n';
    expect(parse(text)).toEqual({
      api: { host: '127.0.0.1', sse: { poll_interval_ms: 250 } },
      agents: { claude: { model: 'm' }, gemini: {} },
    });
  });

  it('comments (#, //, /* */ across lines), CRLF line ends and a BOM', () => {
    const text =
      '\uFEFF# top\r\n// also top\r\n/* a\r\n   block */ claude { # after the brace\r\n  model = "m" // trailing\r\n  /* inline */ token_file = "t" /* end */\r\n}\r\n';
    expect(parse(text)).toEqual({ agents: { claude: { model: 'm', token_file: 't' } } });
  });

  it('keeps a __proto__ block as a plain key (no prototype change)', () => {
    const config = parse('__proto__ {\n  model = "m"\n}\n');
    const agents = config.agents as Record<string, unknown>;
    expect(Object.keys(agents)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(agents)).toBe(Object.prototype);
  });
});

describe('parseHclConfig: errors name line and column', () => {
  it.each([
    ['model = "x"\n', '1:1 top-level attribute "model": settings go inside a block'],
    ['claude {\n  model = "x"\n', '1:1 block "claude" is not closed (missing "}")'],
    ['claude {\n  model = "x\n}\n', '2:11 unterminated string'],
    ['claude {\n  token = "a\\qb"\n}\n', '2:13 invalid escape "\\q" in string'],
    ['claude {\n  model = "a" "b"\n}\n', '2:15 expected a new line after "model", found "\\"b\\""'],
    ['claude {\n  model = "a"\n  model = "b"\n}\n', '3:3 duplicate "model" (first set at line 2)'],
    ['agent "claude" {\n}\n', '1:7 block labels are not supported: write agent { ... }'],
    ['}\n', '1:1 unexpected "}" (no block is open)'],
    ['defaults {\n  timeout = 15m\n}\n', '2:13 write "15m" in quotes'],
    ['claude {\n  model = <<EOF\nx\nEOF\n}\n', '2:11 heredoc strings are not supported'],
    ['claude {\n  model = "${var.m}"\n}\n', '2:12 templates are not supported'],
    ['claude {\n  model = \n}\n', '2:11 expected a value ("string", number, true/false, [list]'],
    ['a {\n  l = [1, 2\n}\n', '3:1 expected "," or "]" in list, found "}"'],
    ['a {\n  l = [1,\n', '2:7 list is not closed (missing "]")'],
    ['a {\n  o = { k = 1 k2 = 2 }\n}\n', '2:15 expected "," or "}" in object, found "k2"'],
    ['claude {\n  model: "x"\n}\n', '2:8 expected "=" or "{" after "model", found ":"'],
    ['claude {\n  = 1\n}\n', '2:3 expected an attribute or block name, found "="'],
    ['/* never closed\nclaude {}\n', '1:1 comment is not closed (missing "*/")'],
    ['claude {}\nclaude {}\n', '2:1 duplicate "claude" (first set at line 1)'],
  ])('%j -> %s', (text, what) => {
    const message = parseError(text);
    expect(message.startsWith(`config /home/u/x.hcl: invalid HCL: ${what}`)).toBe(true);
    expect(message).not.toContain('\n');
  });
});
