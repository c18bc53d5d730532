/**
 * zod, loaded on first use. Loading it costs about as much as Node's own start-up, and
 * hot CLI paths (`run-agent job`, `bus post`, `--version`) must not pay for it unless they
 * actually validate something nested. Schemas are built inside memoised functions.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';

let loaded: typeof Zod | undefined;

export function zod(): typeof Zod {
  loaded ??= createRequire(import.meta.url)('zod') as typeof Zod;
  return loaded;
}

/** Memoise a schema factory so the schema is built once, on first use. */
export function lazySchema<T>(build: (z: typeof Zod.z) => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build(zod().z));
}
