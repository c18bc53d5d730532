import type { ExitCode } from '../core/errors.js';
import type { RunStatus } from '../core/run-info.js';

/** How one run ended: what runJob, stopRun's finisher and adoptRun return. */
export interface JobResult {
  runId: string;
  runDir: string;
  status: RunStatus;
  /** The agent's exit status (-1 when it has none). */
  exitCode: number;
  /** Our exit code: 0 ok, 1 retriable (timeout, killed, exit 1, crash), 2 permanent, 3 config. */
  outcome: ExitCode;
  errorSummary?: string;
  durationMs: number;
}
