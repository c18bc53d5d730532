/** Human-readable command line for run-info: `<cmd> <args…> < <prompt_path>`. */

const SAFE = /^[\w@%+=:,./-]+$/;

export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommandline(argv: readonly string[], promptPath: string): string {
  return `${argv.map(shellQuote).join(' ')} < ${shellQuote(promptPath)}`;
}
