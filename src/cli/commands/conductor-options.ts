/**
 * Flags every `conductor` client command shares (`--server`, `--api-key`, `--json`) and the
 * lazily built API client. Kept light: command definitions import this at start-up.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../../client/api-client.js';

export interface ClientFlags {
  server?: string;
  apiKey?: string;
  json?: boolean;
}

export function addClientOptions(cmd: Command): Command {
  return cmd
    .option(
      '--server <url>',
      'conductor server URL (default: $CONDUCTOR_URL or http://127.0.0.1:8080)',
    )
    .option('--api-key <key>', 'API key sent as a Bearer token (default: $CONDUCTOR_API_KEY)')
    .option('--json', 'print machine-readable JSON on stdout');
}

export async function clientFrom(flags: ClientFlags): Promise<ApiClient> {
  const { ApiClient, resolveClientOptions } = await import('../../client/api-client.js');
  return new ApiClient(resolveClientOptions(flags, process.env));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}
