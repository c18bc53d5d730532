// `npm start`: install deps if needed, build, then run the server with the web UI and
// the built-in demo agent on http://127.0.0.1:8080 (root ./runs). Extra args go to serve.
import { ensureDeps, repoRoot, run } from './ensure-deps.mjs';
import { join } from 'node:path';

ensureDeps();
const { buildAll } = await import('./build.mjs');
try {
  await buildAll();
} catch (error) {
  process.stderr.write(`Error: ${error.message}\n`);
  process.exit(1);
}
process.exit(
  run(process.execPath, [join(repoRoot, 'bin', 'conductor'), 'serve', ...process.argv.slice(2)], {
    cwd: process.cwd(),
  }),
);
