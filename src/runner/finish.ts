/**
 * Record how a run ended: output.md, the final run-info.yaml, RUN_STOP/RUN_CRASH on the task
 * bus, and the run folder's mtime. Whoever observes the end may call it (the spawning
 * supervisor, a stopper, an adopting server); the first one under the run-info lock wins and
 * the others get the recorded result.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExitCode } from '../core/errors.js';
import { formatPreciseTimestamp } from '../core/ids.js';
import { FILES, runDirContext } from '../core/layout.js';
import { log } from '../core/log.js';
import { isTerminalStatus, updateRunInfo, type RunInfo } from '../core/run-info.js';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import { touchDir } from '../core/task-files.js';
import type { AgentBackend, RunSummary } from './agents/index.js';
import type { ExitObservation } from './exit-watch.js';
import { decideVerdict, outcomeOfExitCode, type RunVerdict } from './exit-status.js';
import { formatFailureReport } from './failure-report.js';
import { lastLines, readTail } from './file-tail.js';
import type { JobResult } from './job-result.js';
import { postRunEvent, runEndBody } from './run-events.js';
import { readStopMarker } from './stop-marker.js';

/** Enough of stdout for any final result line; longer logs are summarised from their end. */
const MAX_SUMMARY_BYTES = 32 * 1024 * 1024;

const PLACEHOLDER_OUTPUT =
  '# Agent Output\n\n*The agent did not write output.md. Raw output is available in the stdout tab.*\n';

/** Our exit code for a run that is already recorded. */
export function outcomeOfInfo(info: RunInfo): ExitCode {
  switch (info.status) {
    case 'completed':
      return 0;
    case 'failed':
      return info.exit_code <= 0 ? 1 : outcomeOfExitCode(info.exit_code);
    default:
      return 1;
  }
}

export function resultOfInfo(runDir: string, info: RunInfo): JobResult {
  const start = Date.parse(info.start_time);
  const end = Date.parse(info.end_time);
  return {
    runId: info.run_id,
    runDir,
    status: info.status,
    exitCode: info.exit_code,
    outcome: outcomeOfInfo(info),
    ...(info.error_summary ? { errorSummary: info.error_summary } : {}),
    durationMs: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : 0,
  };
}

function safeSummary(
  backend: AgentBackend | undefined,
  runDir: string,
  stdout: string,
  stderr: string,
): RunSummary {
  if (backend === undefined) return stdout.trim() !== '' ? { finalText: stdout.trim() } : {};
  try {
    return backend.summarize({ stdout, stderr, runDir });
  } catch (error) {
    log().warn({ err: error, runDir }, 'agent summary failed; using raw stdout');
    return stdout.trim() !== '' ? { finalText: stdout.trim() } : {};
  }
}

function progressLines(backend: AgentBackend | undefined, stdout: string): string[] {
  if (backend === undefined) return [];
  try {
    return backend
      .createProgressParser()
      .push(`${stdout}\n`)
      .filter((line) => line.kind !== 'text')
      .map((line) => line.text.replace(/\s+/g, ' ').trim())
      .filter((text) => text !== '');
  } catch {
    return [];
  }
}

/** True when the agent wrote output.md itself: it is never overwritten. */
function agentWroteOutput(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

function relevantFiles(runDir: string): string[] {
  return [FILES.stderr, FILES.stdout, FILES.prompt, FILES.runInfo]
    .map((name) => join(runDir, name))
    .filter((path) => existsSync(path));
}

interface Claim {
  info: RunInfo;
  verdict: RunVerdict;
  stderrTail: string;
}

/**
 * Record the end of the run unless someone already did. Returns the run's result and whether
 * this call recorded it.
 */
export async function finishRun(
  runDir: string,
  observation: ExitObservation,
  backend: AgentBackend | undefined,
): Promise<{ result: JobResult; recorded: boolean }> {
  let claim: Claim | undefined;
  const info = updateRunInfo(runDir, (current) => {
    if (isTerminalStatus(current.status)) return current;
    claim = recordEnd(runDir, current, observation, backend);
    return claim.info;
  });
  if (claim === undefined) return { result: resultOfInfo(runDir, info), recorded: false };
  const { taskDir } = runDirContext(runDir);
  const exitCode = claim.verdict.exitCode;
  await postRunEvent(
    { taskDir, projectId: info.project_id, taskId: info.task_id, runId: info.run_id },
    exitCode === 0 && claim.verdict.status === 'completed' ? 'RUN_STOP' : 'RUN_CRASH',
    runEndBody(runDir, exitCode, lastLines(claim.stderrTail, 50)),
  );
  // After the task-level bus write, so `ls -t <task>/ | head -1` names the newest run.
  touchDir(runDir);
  return { result: resultOfInfo(runDir, info), recorded: true };
}

/** Everything done under the run-info lock: read files, decide, write output.md. */
function recordEnd(
  runDir: string,
  current: RunInfo,
  observation: ExitObservation,
  backend: AgentBackend | undefined,
): Claim {
  const stdout = readTail(join(runDir, FILES.stdout), MAX_SUMMARY_BYTES);
  const stderrTail = readTail(join(runDir, FILES.stderr), 64 * 1024);
  const summary = safeSummary(backend, runDir, stdout, stderrTail);
  const exitCode = observation.kind === 'exited' ? observation.exitCode : undefined;
  let explained: string | undefined;
  if (exitCode !== undefined && (exitCode !== 0 || summary.failed)) {
    try {
      explained = backend?.explainFailure?.(exitCode, lastLines(stderrTail, 50), summary);
    } catch {
      explained = undefined;
    }
  }
  const verdict = decideVerdict({
    exitCode,
    stopReason: readStopMarker(runDir),
    reportedFailure: summary.failed === true,
    explained,
    startError: observation.kind === 'not-started' ? observation.error : undefined,
  });
  const endTime = formatPreciseTimestamp();
  const outputPath = join(runDir, FILES.output);
  if (!agentWroteOutput(outputPath)) {
    writeFileAtomicSync(
      outputPath,
      verdict.status === 'completed'
        ? `${(summary.finalText ?? '').trim() || PLACEHOLDER_OUTPUT.trim()}\n`
        : formatFailureReport({
            status: verdict.status,
            errorSummary: verdict.errorSummary ?? verdict.status,
            taskId: current.task_id,
            agent: current.agent_name ?? current.agent,
            timestamp: endTime,
            exitCode: verdict.exitCode,
            exitSignal: verdict.exitSignal,
            cwd: current.cwd,
            runDir,
            progress: progressLines(backend, stdout),
            stderrTail: lastLines(stderrTail, 20),
            agentError: summary.errorMessage,
            timeoutS: current.timeout_s,
            relevantFiles: relevantFiles(runDir),
          }),
      { fsync: false },
    );
  }
  const next: RunInfo = {
    ...current,
    end_time: endTime,
    exit_code: verdict.exitCode,
    status: verdict.status,
    error_summary: verdict.errorSummary,
    exit_signal: verdict.exitSignal,
  };
  const usage = summary.usage ?? {};
  if (usage.input_tokens !== undefined) next.input_tokens = usage.input_tokens;
  if (usage.output_tokens !== undefined) next.output_tokens = usage.output_tokens;
  if (usage.cached_input_tokens !== undefined) next.cached_input_tokens = usage.cached_input_tokens;
  if (usage.cost_usd !== undefined) next.cost_usd = usage.cost_usd;
  if (summary.sessionId) next.session_id = summary.sessionId;
  if (summary.model) next.model = summary.model;
  if (summary.agentVersion && !current.agent_version) next.agent_version = summary.agentVersion;
  return { info: next, verdict, stderrTail };
}
