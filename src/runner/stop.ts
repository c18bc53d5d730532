/**
 * Stop a run from any process: mark why (so the finisher records `stopped`/`timeout`, not
 * `failed`), SIGTERM the process group, SIGKILL after the grace period, and make sure the run
 * ends recorded even when no supervisor is left to do it.
 */
import { isTerminalStatus, readRunInfo } from '../core/run-info.js';
import { getBackend, type AgentBackend } from './agents/index.js';
import type { StopReason } from './exit-status.js';
import { readExitCode } from './exit-watch.js';
import { finishRun } from './finish.js';
import { writeStopMarker } from './stop-marker.js';
import { isRunGroupAlive, terminateGroup } from './terminate.js';

export interface StopOptions {
  /** SIGTERM -> SIGKILL delay (default 30 s). */
  graceMs?: number;
  /** SIGKILL at once. */
  force?: boolean;
  reason?: StopReason;
  /**
   * How long to let the run's own supervisor record the end before we do it (default 2 s).
   * The supervisor that called us for a timeout passes 0 wait by finishing itself.
   */
  ownerWaitMs?: number;
  /** Record the end here if nobody else does (default true). */
  finish?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The backend that summarises a run of this agent type; undefined for unknown types. */
export function backendOf(agentType: string): AgentBackend | undefined {
  try {
    return getBackend(agentType);
  } catch {
    return undefined;
  }
}

export async function stopRun(runDir: string, options: StopOptions = {}): Promise<void> {
  const info = readRunInfo(runDir);
  if (isTerminalStatus(info.status)) return;
  writeStopMarker(runDir, options.reason ?? 'stop');
  if (info.pgid > 1 && isRunGroupAlive(info.pgid, runDir)) {
    await terminateGroup(info.pgid, {
      graceMs: options.graceMs ?? 30_000,
      force: options.force ?? false,
    });
  }
  if (options.finish === false) return;
  const deadline = Date.now() + (options.ownerWaitMs ?? 2_000);
  while (Date.now() < deadline) {
    if (isTerminalStatus(readRunInfo(runDir).status)) return;
    await sleep(20);
  }
  // No supervisor recorded the end (it died, or the run was still queued): do it here.
  const exitCode = readExitCode(runDir);
  await finishRun(
    runDir,
    exitCode !== undefined ? { kind: 'exited', exitCode } : { kind: 'vanished' },
    backendOf(info.agent),
  );
}
