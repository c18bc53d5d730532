/**
 * YAML in the shape the reference (Go yaml.v3) reads and writes. Parsing uses js-yaml's
 * CORE schema so timestamps stay strings. Emitting flat scalars is done here, quoting
 * exactly the strings YAML would otherwise read as another type, so files look like the
 * reference's (`task_id: ""`, `exit_code: 0`, `meta: {n: "4"}`); nested values fall back
 * to js-yaml.
 */
// Bundled into dist/ (it starts in ~2 ms there; from node_modules, ~10 ms).
import { CORE_SCHEMA, dump, load } from 'js-yaml';

export function parseYaml(text: string): unknown {
  return load(text, { schema: CORE_SCHEMA });
}

const PLAIN_SAFE = /^[A-Za-z0-9_./<>@+~(][A-Za-z0-9 _./:<>@+~=(),-]*$/;
const LOOKS_TYPED =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$|^[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][-+]?\d+)?$|^[-+]?0[xob][0-9a-fA-F_]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$|^\d{4}-\d\d?-\d\d?(?:[Tt ].*)?$|^\d+(?::\d+)+(?:\.\d*)?$/;

/** A string as a YAML scalar: plain when unambiguous, else double-quoted (JSON escapes are valid YAML). */
export function yamlString(value: string): string {
  if (value === '') return '""';
  if (
    PLAIN_SAFE.test(value) &&
    !LOOKS_TYPED.test(value) &&
    !value.endsWith(' ') &&
    !value.includes(': ') &&
    !value.includes(' #')
  ) {
    return value;
  }
  return JSON.stringify(value);
}

/** A timestamp written unquoted, as Go writes time.Time values. */
export function yamlTimestamp(value: string): string {
  return /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)$/.test(value) ? value : yamlString(value);
}

export function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return yamlString(value);
}

/** Nested values (lists of maps, unknown fields) at the given indent, Go-style 4-space nesting. */
export function yamlBlock(value: unknown, indent: number): string {
  const text = dump(value, {
    schema: CORE_SCHEMA,
    indent: 2,
    lineWidth: -1,
    noRefs: true,
    sortKeys: false,
  });
  const pad = ' '.repeat(indent);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** `key: value` for a scalar, or `key:\n<block>` for objects/arrays. */
export function yamlField(key: string, value: unknown): string {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return `${key}: ${yamlScalar(value)}`;
  }
  if (Array.isArray(value) && value.length === 0) return `${key}: []`;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
    return `${key}: {}`;
  return `${key}:\n${yamlBlock(value, 4)}`;
}

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/;
const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Fast path for the flat `key: scalar` documents we read in bulk (run-info.yaml, bus
 * headers): about 10x quicker than a full YAML parse. Returns undefined for anything
 * else (nesting, block scalars, comments, anchors), and the caller falls back to parseYaml.
 * Scalars resolve as the CORE schema does (ints, floats, booleans, null; timestamps stay strings).
 */
export function parseFlatYaml(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line === '\r') continue;
    const m = FLAT_LINE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (m === null) return undefined;
    const raw = (m[2] ?? '').trim();
    const value = flatScalar(raw);
    if (value === FALLBACK) return undefined;
    out[m[1] as string] = value;
  }
  return out;
}

const FALLBACK = Symbol('fallback');

function flatScalar(raw: string): unknown {
  if (raw === '' || raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL') return null;
  const first = raw[0];
  if (first === '"') {
    if (!raw.endsWith('"') || raw.length < 2) return FALLBACK;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return FALLBACK;
    }
  }
  if (first === "'") {
    if (!raw.endsWith("'") || raw.length < 2) return FALLBACK;
    const inner = raw.slice(1, -1);
    if (/'(?!')/.test(inner.replace(/''/g, ''))) return FALLBACK;
    return inner.replace(/''/g, "'");
  }
  // Anything that could start YAML syntax we do not handle here goes to the full parser.
  if ('[{&*!|>%@`#'.includes(first ?? '') || raw.includes(' #') || raw.includes(': '))
    return FALLBACK;
  if (raw === 'true' || raw === 'True' || raw === 'TRUE') return true;
  if (raw === 'false' || raw === 'False' || raw === 'FALSE') return false;
  if (INT.test(raw)) return Number(raw);
  if (FLOAT.test(raw)) return Number(raw);
  if (/^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(raw) || /^0[xo]/.test(raw)) return FALLBACK;
  return raw;
}
