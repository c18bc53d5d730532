// Builds the CLIs into dist/ (one esbuild bundle per entry, shared chunks loaded on
// demand so `run-agent --version` loads almost nothing) and the web UI into web/dist/.
import { build } from 'esbuild';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from './ensure-deps.mjs';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
/**
 * npm packages bundled into dist/ because CLI start-up loads them: from the bundle they start
 * several times faster than through node_modules resolution and one file per module.
 */
const BUNDLED = new Set(['commander', 'js-yaml', 'zod']);
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));
/** Classic zod (server request schemas) stays in node_modules; only `zod/mini` is bundled. */
const classicZodExternal = {
  name: 'classic-zod-external',
  setup(b) {
    b.onResolve({ filter: /^zod$/ }, () => ({ path: 'zod', external: true }));
  },
};
const entries = ['run-agent', 'conductor', 'messagebus-tool'].map((name) =>
  join(repoRoot, 'src', 'cli', `${name}.ts`),
);

export async function buildAll({ web = true } = {}) {
  // Build beside dist/ and swap it in, so processes running from dist/ (tests, a server)
  // never see it half-deleted.
  const dist = join(repoRoot, 'dist');
  const staging = join(repoRoot, `dist.tmp-${process.pid}`);
  const old = join(repoRoot, `dist.old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    plugins: [classicZodExternal],
    // Bundled CommonJS packages (commander, js-yaml) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);",
    },
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    define: { __CONDUCTOR_VERSION__: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(staging, dist);
  rmSync(old, { recursive: true, force: true });
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
