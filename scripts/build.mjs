// Builds the CLIs into dist/ (one esbuild bundle per entry, shared chunks loaded on
// demand so `run-agent --version` loads almost nothing) and the web UI into web/dist/.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from './ensure-deps.mjs';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const entries = ['run-agent', 'conductor', 'messagebus-tool'].map((name) =>
  join(repoRoot, 'src', 'cli', `${name}.ts`),
);

export async function buildAll({ web = true } = {}) {
  rmSync(join(repoRoot, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir: join(repoRoot, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    define: { __CONDUCTOR_VERSION__: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
  if (web && existsSync(join(repoRoot, 'web', 'package.json'))) {
    const status = run('npm', ['run', 'build', '--workspace', 'web', '--silent']);
    if (status !== 0) throw new Error('web UI build failed');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildAll({ web: !process.argv.includes('--no-web') }).catch((error) => {
    process.stderr.write(`Error: build failed: ${error.message}\n`);
    process.exit(1);
  });
}
