// Builds the CLIs into dist/ (one CommonJS bundle per CLI, started by bin/launch.cjs with a
// V8 code cache) and the web UI into web/dist/.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from './ensure-deps.mjs';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const CLIS = ['run-agent', 'conductor', 'messagebus-tool'];

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

/**
 * One self-contained CommonJS file per CLI. Sources are ESM; as CommonJS, modules reached
 * through import() initialise only when first imported, and external packages are required
 * only where used, so one file costs less to start than many ESM chunks (each resolved,
 * read and compiled on its own) and can be compiled from one V8 code cache.
 */
export async function bundleClis(outdir) {
  await build({
    entryPoints: Object.fromEntries(
      CLIS.map((cli) => [cli, join(repoRoot, 'src', 'cli', `${cli}.ts`)]),
    ),
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    plugins: [classicZodExternal],
    sourcemap: true,
    // No comments and ASCII only: V8 keeps each CLI's source (~0.5 MB) as a one-byte string
    // for its whole life. Names stay, so stack traces stay readable (with the source map).
    charset: 'ascii',
    minifyWhitespace: true,
    define: {
      __CONDUCTOR_VERSION__: JSON.stringify(pkg.version),
      'import.meta.url': '__importMetaUrl',
    },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  mkdirSync(join(outdir, 'cache'), { recursive: true });
}

export async function buildAll({ web = true } = {}) {
  // Build beside dist/ and swap it in, so a process starting from dist/ never sees it
  // half-written (the swap also drops code caches made for the previous bundles).
  const dist = join(repoRoot, 'dist');
  const staging = join(repoRoot, `dist.tmp-${process.pid}`);
  const old = join(repoRoot, `dist.old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  await bundleClis(staging);
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
