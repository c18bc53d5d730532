import { defineConfig } from 'vitest/config';

// Unit tests of the UI's pure logic (tree building, log buffer, SSE parsing). The browser
// tests live in ../test/e2e/ui-*.test.ts.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
