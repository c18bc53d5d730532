/** Runs root for the operator commands: `--root` > CONDUCTOR_ROOT > config storage.runs_dir > ./runs. */
import { loadConfig } from '../core/config.js';
import { resolveRoot } from '../core/layout.js';

export function rootFromFlags(flags: { root?: string; config?: string }): string {
  if (flags.root !== undefined || process.env.CONDUCTOR_ROOT)
    return resolveRoot({ flag: flags.root });
  const config = loadConfig({ configPath: flags.config });
  return resolveRoot({ configRunsDir: config.storage.runsDir });
}
