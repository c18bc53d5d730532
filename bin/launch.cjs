'use strict';
/**
 * Starts one of our CLIs from its bundle in dist/ with a V8 code cache.
 *
 * Node 20 has no compile cache of its own: compiling a bundle costs ~13 ms per start, from
 * bytecode saved by an earlier run of the same command ~3 ms. The cache lives in
 * dist/cache/<cli>-<command>-<runtime>.cache; when there is none, or V8 rejects it (changed
 * bundle), this run saves a fresh one as it exits. A cache that cannot be written (read-only
 * install) is simply not used.
 */
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

/** FNV-1a, enough to tell Node versions and V8 flag sets apart without loading node:crypto. */
function shortHash(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * One cache per CLI command and per Node version + flags: V8 rejects a cache made under
 * other flags, and processes started with different flags must not keep replacing one file.
 */
function cachePath(dist, cli, argv) {
  const command = /^[a-z][a-z-]{0,30}$/.test(argv[0] ?? '') ? argv[0] : 'default';
  const runtime = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS];
  return join(dist, 'cache', `${cli}-${command}-${shortHash(runtime.join(' '))}.cache`);
}

function saveCacheOnExit(script, path) {
  process.once('exit', () => {
    try {
      mkdirSync(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, path);
    } catch {
      // read-only dist/: run without a cache
    }
  });
}

function launch(cli, dist = join(__dirname, '..', 'dist')) {
  const file = join(dist, `${cli}.cjs`);
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    process.stderr.write(
      'Error: conductor-loop is not built yet: run `npm run build` (or `npm start`) first\n',
    );
    process.exit(3);
  }
  const cache = cachePath(dist, cli, process.argv.slice(2));
  let cachedData;
  try {
    cachedData = readFileSync(cache);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    saveCacheOnExit(script, cache);
  }
  const mod = new Module(file, module);
  mod.filename = file;
  const run = script.runInThisContext();
  run.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
}

module.exports = { launch };
