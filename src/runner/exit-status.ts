/**
 * How a run's end maps to run-info status, error_summary (compat.md §2) and our own exit
 * code (0 ok, 1 retriable, 2 permanent, 3 configuration).
 */
import type { ExitCode } from '../core/errors.js';
import type { RunStatus } from '../core/run-info.js';

export type StopReason = 'stop' | 'timeout';

export interface RunVerdict {
  status: RunStatus;
  /** The agent's exit status; -1 when it has none (crash, killed wrapper). */
  exitCode: number;
  outcome: ExitCode;
  errorSummary?: string;
  /** Signal name when the shell reported 128+N. */
  exitSignal?: string;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/** `sh` reports death by signal N as 128+N. */
export function signalOfExitCode(exitCode: number): string | undefined {
  if (exitCode <= 128 || exitCode > 128 + 64) return undefined;
  return SIGNALS[exitCode - 128] ?? `SIG${exitCode - 128}`;
}

/** compat.md §2's error_summary for a non-zero exit. */
export function defaultErrorSummary(exitCode: number): string {
  switch (exitCode) {
    case 1:
      return 'agent reported failure';
    case 2:
      return 'agent usage error';
    case 137:
      return 'agent killed (OOM or signal)';
    case 143:
      return 'agent terminated (SIGTERM)';
    default:
      return `agent exited with code ${exitCode}`;
  }
}

/** Our exit code for an agent exit status: 2/3 keep their meaning, 126/127 = not runnable. */
export function outcomeOfExitCode(exitCode: number): ExitCode {
  if (exitCode === 0) return 0;
  if (exitCode === 2) return 2;
  if (exitCode === 3 || exitCode === 126 || exitCode === 127) return 3;
  return 1;
}

export interface VerdictInput {
  /** undefined = the process group vanished without an exit status. */
  exitCode: number | undefined;
  stopReason?: StopReason | undefined;
  /** The agent's stream says it failed even with exit 0. */
  reportedFailure?: boolean;
  /** A better error_summary from the backend, when it has one. */
  explained?: string | undefined;
  /** The agent could not be started (compat §2: failed, exit_code -1). */
  startError?: string | undefined;
}

export function decideVerdict(input: VerdictInput): RunVerdict {
  const exitCode = input.exitCode ?? -1;
  const exitSignal = signalOfExitCode(exitCode);
  const withSignal = exitSignal !== undefined ? { exitSignal } : {};
  if (input.stopReason === 'timeout') {
    return { status: 'timeout', exitCode, outcome: 1, errorSummary: 'timed out', ...withSignal };
  }
  if (input.stopReason === 'stop') {
    return {
      status: 'stopped',
      exitCode,
      outcome: 1,
      errorSummary: 'stopped on request',
      ...withSignal,
    };
  }
  if (input.startError !== undefined) {
    return { status: 'failed', exitCode, outcome: 1, errorSummary: input.startError };
  }
  if (input.exitCode === undefined) {
    return {
      status: 'crashed',
      exitCode,
      outcome: 1,
      errorSummary: 'agent process group vanished without an exit status',
    };
  }
  if (exitCode === 0 && !input.reportedFailure)
    return { status: 'completed', exitCode, outcome: 0 };
  return {
    status: 'failed',
    exitCode,
    outcome: exitCode === 0 ? 1 : outcomeOfExitCode(exitCode),
    errorSummary:
      input.explained ??
      (exitCode === 0 ? 'agent reported failure' : defaultErrorSummary(exitCode)),
    ...withSignal,
  };
}
