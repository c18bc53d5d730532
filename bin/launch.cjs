'use strict';
/**
 * Starts one of our CLIs from its bundle in dist/ with a V8 code cache.
 *
 * Node 20 has no compile cache of its own, and compiling the bundle is most of what a CLI
 * costs beyond Node's start-up. So we compile it through vm.Script with the bytecode saved
 * by an earlier run of the same command (dist/cache/<cli>-<command>.cache); when there is
 * none, or V8 rejects it (other Node version, changed bundle), this run saves a fresh one
 * as it exits. A cache that cannot be written (read-only install) is simply not used.
 */
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

function cachePath(dist, cli, argv) {
  const command = /^[a-z][a-z-]{0,30}$/.test(argv[0] ?? '') ? argv[0] : 'default';
  return join(dist, 'cache', `${cli}-${command}.cache`);
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
