/**
 * error_summary hints every backend shares: the /bin/sh wrapper reports a missing or
 * non-executable agent as 127/126, and an agent-reported error beats a bare exit code.
 */
import type { RunSummary } from './types.js';

export function explainCommonFailure(
  label: string,
  exitCode: number,
  summary: RunSummary,
): string | undefined {
  if (exitCode === 127) {
    return `${label}: executable not found (exit 127); install it or set the agent's command`;
  }
  if (exitCode === 126) return `${label}: executable is not runnable (exit 126)`;
  if (summary.errorMessage !== undefined && summary.errorMessage !== '') {
    const message = oneLine(summary.errorMessage);
    // REST agents already name themselves in their messages ("xai: HTTP 429 ...").
    return message.startsWith(`${label}: `) ? message : `${label}: ${message}`;
  }
  return undefined;
}

/** First 300 characters on one line: error summaries go into YAML and one-line CLI output. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Last non-empty line of a stderr tail (the usual place for a CLI's fatal message). */
export function lastLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1];
}
