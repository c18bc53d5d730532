import { defineConfig } from 'vitest/config';

// Unit tests sit next to their modules; process/HTTP tests live in test/integration,
// whole-CLI and browser runs in test/e2e. Everything uses real files and processes,
// so keep parallelism modest: the target machine has 2 cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
