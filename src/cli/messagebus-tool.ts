/**
 * `messagebus-tool`: the seed's name for posting to the bus; a thin alias of `run-agent bus`.
 * `messagebus-tool write "Multiple\nlines"` posts one message (escapes expanded).
 */
import { VERSION } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`messagebus-tool version ${VERSION}\n`);
} else {
  // No top-level await: the bundle is CommonJS (bin/launch.cjs); main() sets the exit code.
  void import('./messagebus-tool-main.js').then(({ main }) => main(argv));
}
