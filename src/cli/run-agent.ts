/**
 * `run-agent`: the runner CLI (job, task, bus, stop, list, status, output, serve ...).
 * `--version` is answered before anything else loads, to keep start-up near `node -e 0`.
 */
import { VERSION } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`run-agent version ${VERSION}\n`);
} else {
  // No top-level await: the bundle is CommonJS (bin/launch.cjs); main() sets the exit code.
  void import('./run-agent-main.js').then(({ main }) => main(argv));
}
