/**
 * `conductor`: the server (`conductor serve`) and its HTTP client (`conductor task ...`).
 */
import { VERSION } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`conductor version ${VERSION}\n`);
} else {
  // No top-level await: the bundle is CommonJS (bin/launch.cjs); main() sets the exit code.
  void import('./conductor-main.js').then(({ main }) => main(argv));
}
