/**
 * `conductor serve` (alias `run-agent serve`): the HTTP API + web UI. Prints
 * `listening on <url>` on stdout once it accepts connections; SIGTERM/SIGINT shut it
 * down gracefully (agent runs keep going unless --stop-runs-on-exit).
 */
import type { Command } from 'commander';
import { subcommand } from '../program.js';
import { parseDurationMs, parseIntFlag } from '../options.js';
import { VERSION } from '../version.js';

interface ServeCliFlags {
  host?: string;
  port?: string;
  root?: string;
  config?: string;
  apiKey?: string;
  insecure?: boolean;
  disableTaskStart?: boolean;
  stopRunsOnExit?: boolean;
  heartbeat?: string;
}

export function registerServeCommand(program: Command): void {
  subcommand(program, 'serve', 'Run the HTTP API server and web UI')
    .option('--host <host>', 'address to bind (env CONDUCTOR_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port (env CONDUCTOR_PORT; default 8080; 0 = any free port)')
    .option('--root <dir>', 'runs root (env CONDUCTOR_ROOT; default ./runs)')
    .option('--config <file>', 'config file (env CONDUCTOR_CONFIG)')
    .option('--api-key <key>', 'require this API key (env CONDUCTOR_API_KEY)')
    .option('--insecure', 'allow a non-loopback bind without an API key')
    .option('--disable-task-start', 'accept tasks but do not start agents')
    .option('--stop-runs-on-exit', 'stop running agents when the server exits')
    .option('--heartbeat <duration>', 'SSE heartbeat interval (default 15s)')
    .action(async (flags: ServeCliFlags) => {
      // Loaded here so `--help` stays fast; the server is the only module this command needs.
      const { startServer } = await import('../../server/serve.js');
      const server = await startServer(
        {
          host: flags.host,
          port: flags.port !== undefined ? parseIntFlag(flags.port, '--port', 0) : undefined,
          root: flags.root,
          config: flags.config,
          apiKey: flags.apiKey,
          insecure: flags.insecure,
          disableTaskStart: flags.disableTaskStart,
          stopRunsOnExit: flags.stopRunsOnExit,
          heartbeatMs:
            flags.heartbeat !== undefined
              ? parseDurationMs(flags.heartbeat, '--heartbeat')
              : undefined,
        },
        VERSION,
      );
      process.stdout.write(`listening on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          void server.close().finally(resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      // Task loops driven in-process still hold timers; their agents outlive us by design
      // and the next server adopts the loops, so end the process here instead of waiting.
      process.exit(0);
    });
}
