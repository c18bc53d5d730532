/**
 * YAML in the shape the reference (Go yaml.v3) reads and writes. Parsing uses js-yaml's
 * CORE schema so timestamps stay strings. Emitting flat scalars is done here, quoting
 * exactly the strings YAML would otherwise read as another type, so files look like the
 * reference's (`task_id: ""`, `exit_code: 0`, `meta: {n: "4"}`); nested values fall back
 * to js-yaml.
 */
import yaml from 'js-yaml';

export function parseYaml(text: string): unknown {
  return yaml.load(text, { schema: yaml.CORE_SCHEMA });
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
  const text = yaml.dump(value, {
    schema: yaml.CORE_SCHEMA,
    indent: 4,
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
