import type { Command } from 'commander';

export type CommandModules = Record<string, () => Promise<(program: Command) => void>>;

/**
 * Register only the command being run, so `run-agent bus post` does not load the server or
 * the runner. Help, unknown commands and no command register everything (for listings and
 * "did you mean" suggestions).
 */
export async function registerLazily(
  program: Command,
  modules: CommandModules,
  name: string | undefined,
): Promise<void> {
  const only = name !== undefined ? modules[name] : undefined;
  const loaders = only !== undefined ? [only] : Object.values(modules);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
}
