// Installs npm dependencies when node_modules is missing or older than the lockfile.
// Used by `npm start` and `npm test` so both work on a fresh clone with only Node + npm.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ensureDeps() {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = join(repoRoot, 'package-lock.json');
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  process.stderr.write('Installing dependencies (npm ci)...\n');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write(
      'Error: npm ci failed; check network access to the npm registry and retry\n',
    );
    process.exit(3);
  }
}

/** Run a command in the repo; returns its exit status. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit', ...options });
  if (result.error) {
    process.stderr.write(`Error: cannot run ${cmd}: ${result.error.message}\n`);
    return 127;
  }
  return result.status ?? 1;
}
