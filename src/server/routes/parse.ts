/** Zod parsing of query strings and bodies at the HTTP edge: failures become 400s. */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';

const intFrom = (min: number, max: number, fallback: number): z.ZodType<number> =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? fallback : typeof v === 'string' ? Number(v) : v),
    z.number().int().min(min).max(max),
  );

export const pageSchema = z.object({
  limit: intFrom(1, 1000, 50),
  offset: intFrom(0, Number.MAX_SAFE_INTEGER, 0),
});

export { intFrom };

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid input';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'input';
  return `invalid ${where}: ${issue.message}`;
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) throw new ValidationError(describe(parsed.error));
  return parsed.data;
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('request body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ValidationError(describe(parsed.error));
  return parsed.data;
}
