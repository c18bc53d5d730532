/**
 * Schemas on the CLI's hot paths (config.yaml, bus headers, task files) use zod's "mini"
 * build, bundled into dist/. Only the functions listed here are bundled (handing out the whole
 * namespace would pull in every locale), so loading them costs ~2 ms where classic zod costs
 * about as much as Node's own start-up. Schemas are still built on first use.
 * (The server's request schemas use classic zod; its start-up is not a hot path.)
 */
import * as zm from 'zod/mini';

// Property reads of the namespace keep esbuild's tree shaking; passing `zm` itself would not.
const zodMini = {
  _default: zm._default,
  array: zm.array,
  boolean: zm.boolean,
  catch: zm.catch,
  enum: zm.enum,
  int: zm.int,
  maximum: zm.maximum,
  minimum: zm.minimum,
  minLength: zm.minLength,
  null: zm.null,
  nullable: zm.nullable,
  number: zm.number,
  object: zm.object,
  optional: zm.optional,
  pipe: zm.pipe,
  positive: zm.positive,
  record: zm.record,
  regex: zm.regex,
  strictObject: zm.strictObject,
  string: zm.string,
  transform: zm.transform,
  union: zm.union,
  unknown: zm.unknown,
  url: zm.url,
};

export type ZodMini = typeof zodMini;

/** Memoise a schema factory so the schema is built once, on first use. */
export function lazySchema<T>(build: (z: ZodMini) => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build(zodMini));
}
