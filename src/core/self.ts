/**
 * Where our own executables live, so the runner can put them on an agent's PATH and start
 * helper processes (`run-agent __rest-agent`, `__demo-agent`). Works from the built bundle
 * (dist/) and from sources under vitest: both sit below the package root that holds bin/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The conductor-loop package folder (has package.json named conductor-loop and bin/). */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (parsed.name === 'conductor-loop') {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the conductor-loop package folder');
    dir = parent;
  }
}

/** Folder with the `run-agent`, `conductor` and `messagebus-tool` launchers. */
export function selfBinDir(): string {
  return join(packageRoot(), 'bin');
}

export type SelfBin = 'run-agent' | 'conductor' | 'messagebus-tool';

/** argv prefix that starts one of our CLIs with the current Node binary. */
export function selfCommand(bin: SelfBin = 'run-agent'): string[] {
  return [process.execPath, join(selfBinDir(), bin)];
}
