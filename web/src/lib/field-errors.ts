// Maps a server validation error onto the new-task form's fields.
import { ApiError, errorMessage } from '../api/client';

export type FieldName =
  'project_id' | 'task_id' | 'agent' | 'prompt' | 'cwd' | 'depends_on' | 'timeout';
const FIELDS: FieldName[] = [
  'project_id',
  'task_id',
  'agent',
  'prompt',
  'cwd',
  'depends_on',
  'timeout',
];

/** How server messages name each field (first match wins). */
const FIELD_PATTERNS: [FieldName, RegExp][] = [
  ['project_id', /\bproject[_ ]id\b/i],
  ['task_id', /\btask[_ ]id\b/i],
  ['depends_on', /\bdepends[_ ]on\b|\bdependenc/i],
  ['agent', /\bagent(_type)?\b/i],
  ['prompt', /\bprompt(_file)?\b/i],
  ['cwd', /\bcwd\b|working directory/i],
  ['timeout', /\btimeout\b/i],
];

/** Maps a server error onto form fields. */
export function fieldErrors(error: unknown): {
  fields: Partial<Record<FieldName, string>>;
  form?: string;
} {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error) };
  const fields: Partial<Record<FieldName, string>> = {};
  const details = error.details ?? {};
  for (const [key, value] of Object.entries(details)) {
    const name = (key === 'agent_type' ? 'agent' : key) as FieldName;
    if (FIELDS.includes(name))
      fields[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const issues = (details as { issues?: { path?: (string | number)[]; message?: string }[] })
    .issues;
  for (const issue of Array.isArray(issues) ? issues : []) {
    const name = String(issue.path?.[0] ?? '') as FieldName;
    if (FIELDS.includes(name) && issue.message) fields[name] = issue.message;
  }
  if (Object.keys(fields).length === 0) {
    const named = FIELD_PATTERNS.find(([, pattern]) => pattern.test(error.message));
    if (named) fields[named[0]] = error.message;
  }
  return Object.keys(fields).length > 0 ? { fields } : { fields, form: error.message };
}
