// The one test command (README, .ci/run): deps -> format -> lint -> typecheck -> build ->
// vitest (unit, integration, e2e incl. the browser). Each check step counts as one test;
// the last line is `N passed, N failed`.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeps, repoRoot, run } from './ensure-deps.mjs';
import { ensureChromium } from './ensure-chromium.mjs';

ensureDeps();
const { buildAll } = await import('./build.mjs');

let passed = 0;
let failed = 0;
const failures = [];

function step(name, fn) {
  process.stderr.write(`\n== ${name}\n`);
  let ok;
  try {
    ok = fn();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    ok = false;
  }
  if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(name);
  }
  return ok;
}

const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const extraArgs = process.argv.slice(2);

step(
  'format (prettier --check)',
  () => run(bin('prettier'), ['--check', '--log-level', 'warn', '.']) === 0,
);
step('lint (eslint)', () => run(bin('eslint'), ['--max-warnings', '0', '.']) === 0);
step('typecheck (tsc)', () => run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) === 0);
if (existsSync(join(repoRoot, 'web', 'tsconfig.json'))) {
  step(
    'lint web (eslint)',
    () => run(bin('eslint'), ['--max-warnings', '0', '.'], { cwd: join(repoRoot, 'web') }) === 0,
  );
  step('typecheck web (tsc)', () => run(bin('tsc'), ['-p', 'web/tsconfig.json', '--noEmit']) === 0);
}
let built = false;
await (async () => {
  process.stderr.write('\n== build\n');
  try {
    await buildAll();
    built = true;
    passed += 1;
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    failed += 1;
    failures.push('build');
  }
})();

if (built) {
  const chromium = ensureChromium();
  mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
  const report = join(repoRoot, 'test-results', 'vitest.json');
  run(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs],
    {
      env: { ...process.env, CONDUCTOR_CHROMIUM: chromium ?? '' },
    },
  );
  if (existsSync(report)) {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
    if (skipped > 0) {
      // Skipped tests are not allowed to hide in CI.
      failed += skipped;
      failures.push(`${skipped} skipped/todo tests`);
    }
    if (result.numFailedTestSuites > 0 && result.numFailedTests === 0) {
      failed += result.numFailedTestSuites;
      failures.push(`${result.numFailedTestSuites} test files failed to load`);
    }
    for (const file of result.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status === 'failed')
          failures.push(`${file.name.replace(repoRoot + '/', '')}: ${test.fullName}`);
      }
    }
  } else {
    failed += 1;
    failures.push('vitest produced no report');
  }
}

if (failures.length > 0) {
  process.stdout.write('\nFailed:\n' + failures.map((f) => `  - ${f}`).join('\n') + '\n');
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
