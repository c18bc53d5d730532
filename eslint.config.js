// Typed lint rules for src/, test/ and bench/. The web UI has its own config in web/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'web/',
      'runs/',
      'test-results/',
      'scripts/',
      'bin/',
      'eslint.config.js',
      'test/fixtures/**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // CLIs print to stdout/stderr on purpose; tests and benches may too.
    files: ['src/cli/**', 'test/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**', 'bench/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Layering: core <- bus <- runner <- server | cli. server and cli never import each other.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../bus/*', '../runner/*', '../server/*', '../cli/*', '../client/*'] },
      ],
    },
  },
  {
    files: ['src/bus/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../runner/*', '../server/*', '../cli/*'] }],
    },
  },
  {
    files: ['src/ops/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../runner/*',
            '../server/*',
            '../cli/*',
            '../../runner/*',
            '../../server/*',
            '../../cli/*',
          ],
        },
      ],
    },
  },
  {
    files: ['src/runner/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../server/*', '../cli/*', '../../server/*', '../../cli/*'] },
      ],
    },
  },
  {
    files: ['src/server/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../cli/*', '../../cli/*'] }] },
  },
  {
    files: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../server/*', '../../server/*'] }] },
  },
);
