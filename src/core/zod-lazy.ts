/**
 * Schemas on the CLI's hot paths (config.yaml, bus headers, task files) use zod's "mini"
 * build, bundled into dist/. Only the functions listed here are bundled (importing the whole
 * namespace would pull in every locale), so loading them costs ~2 ms where classic zod costs
 * about as much as Node's own start-up. Schemas are still built on first use.
 * (The server's request schemas use classic zod; its start-up is not a hot path.)
 */
import {
  _default,
  array,
  boolean,
  catch as catchValue,
  enum as enumOf,
  int,
  maximum,
  minimum,
  minLength,
  null as nullValue,
  nullable,
  number,
  object,
  optional,
  pipe,
  positive,
  record,
  regex,
  strictObject,
  string,
  transform,
  union,
  unknown,
  url,
} from 'zod/mini';

const zodMini = {
  _default,
  array,
  boolean,
  catch: catchValue,
  enum: enumOf,
  int,
  maximum,
  minimum,
  minLength,
  null: nullValue,
  nullable,
  number,
  object,
  optional,
  pipe,
  positive,
  record,
  regex,
  strictObject,
  string,
  transform,
  union,
  unknown,
  url,
};

export type ZodMini = typeof zodMini;

/** Memoise a schema factory so the schema is built once, on first use. */
export function lazySchema<T>(build: (z: ZodMini) => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build(zodMini));
}
