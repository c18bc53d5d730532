/**
 * One run of one agent (`run-agent job`, each attempt of the task loop, server-started runs):
 * create the run folder, wait for a concurrency slot, start the wrapper, enforce timeouts,
 * and record the end. The agent never depends on this process: if we die, adoptRun (or a
 * stopper) finishes the run from disk.
 */
import { assertDiskSpace } from '../core/disk.js';
import { watchLogCaps } from '../core/log-caps.js';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { ConfigError, errnoCode, fsError, ValidationError } from '../core/errors.js';
import { formatPreciseTimestamp, generateRunId, parseProjectId, parseTaskId } from '../core/ids.js';
import { FILES, runsParentDir, taskDir as taskDirOf, type StorageLayout } from '../core/layout.js';
import { log } from '../core/log.js';
import {
  formatRunInfo,
  isTerminalStatus,
  runInfoPath,
  updateRunInfo,
  ZERO_TIME,
  type RunInfo,
} from '../core/run-info.js';
import { ensureTaskPrompt } from '../core/task-files.js';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import {
  getBackend,
  type AgentBackend,
  type AgentConfig,
  type AgentLaunch,
} from './agents/index.js';
import { waitForExit } from './exit-watch.js';
import type { StopReason } from './exit-status.js';
import { finishRun } from './finish.js';
import type { JobResult } from './job-result.js';
import { buildPromptFile } from './prompt.js';
import { buildRunEnv } from './run-env.js';
import { postRunEvent, runStartBody, taskBusPath, type RunEventScope } from './run-events.js';
import { acquireSlot, DEFAULT_MAX_CONCURRENT, slotsFreed, type SlotLease } from './slots.js';
import { findExecutable, spawnWrapper } from './spawn.js';
import { readStopMarker, writeStopMarker } from './stop-marker.js';
import { stopRun } from './stop.js';
import { watchIdle } from './idle.js';

export type { JobResult } from './job-result.js';
export { stopRun, type StopOptions } from './stop.js';
export { adoptRun, type AdoptOptions } from './adopt.js';

export interface JobOptions {
  root: string;
  projectId: string;
  taskId: string;
  agent: AgentConfig;
  prompt: string;
  cwd?: string;
  parentRunId?: string;
  previousRunId?: string;
  /** 0 for a first attempt; later attempts get the restart prefix. */
  attempt?: number;
  /** Total limit (default agent.timeoutMs); 0 = none. */
  timeoutMs?: number;
  /** Stop when stdout/stderr stop growing for this long; 0/undefined = none. */
  idleTimeoutMs?: number;
  stopGraceMs?: number;
  /** Concurrency limit on this root (default 16; 0 = none). */
  maxConcurrent?: number;
  conductorUrl?: string;
  layout?: StorageLayout;
  /** Refuse to start (retriable) when the root's filesystem has less free space; 0 = no check. */
  minFreeBytes?: number;
  /** Cap per agent-stdout/stderr file while the run is active; 0/undefined = unlimited. */
  maxLogBytes?: number;
  /** Abort = stop the run (recorded `stopped`). */
  signal?: AbortSignal;
  /** Called right after the agent is spawned (run-info turns `running` just after). */
  onStarted?(run: { runId: string; runDir: string; pid: number }): void;
  /** Called once the run folder exists (status queued), before waiting for a slot. */
  onCreated?(run: { runId: string; runDir: string }): void;
}

interface Prepared {
  taskDir: string;
  runsDir: string;
  runId: string;
  runDir: string;
  cwd: string;
  launch: AgentLaunch;
}

function assertDirectory(path: string, what: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ValidationError(`${what} ${path} is not a directory`);
}

/**
 * Plan the launch for a fresh run id, check it, then create the run folder. Configuration
 * problems surface before anything exists on disk; a name collision gets a random suffix
 * (compat §1) and a re-planned launch, since the env names the folder.
 */
function prepare(opts: JobOptions, backend: AgentBackend): Prepared {
  parseProjectId(opts.projectId);
  parseTaskId(opts.taskId);
  if (opts.prompt.trim() === '') throw new ValidationError('the prompt is empty');
  if (opts.minFreeBytes !== undefined && opts.minFreeBytes > 0)
    assertDiskSpace(opts.root, opts.minFreeBytes);
  const taskDir = taskDirOf(opts.root, opts.projectId, opts.taskId);
  const cwd = resolve(opts.cwd ?? taskDir);
  if (opts.cwd !== undefined) assertDirectory(cwd, 'working directory');
  const runsDir = runsParentDir(taskDir, opts.layout);
  let runId: string = generateRunId();
  for (let attempt = 0; ; attempt += 1) {
    const runDir = join(runsDir, runId);
    const env = buildRunEnv({
      root: opts.root,
      projectId: opts.projectId,
      taskId: opts.taskId,
      runId,
      parentRunId: opts.parentRunId,
      runsDir,
      busPath: taskBusPath(taskDir),
      taskDir,
      runDir,
      conductorUrl: opts.conductorUrl,
    });
    const promptPath = join(runDir, FILES.prompt);
    const launch = backend.buildLaunch({
      agent: opts.agent,
      runDir,
      promptPath,
      cwd,
      baseEnv: env,
    });
    checkLaunchable(opts.agent, backend, launch, cwd);
    if (attempt === 0) {
      ensureTaskPrompt(taskDir, opts.prompt);
      try {
        mkdirSync(runsDir, { recursive: true });
      } catch (error) {
        throw fsError('create', runsDir, error);
      }
    }
    try {
      mkdirSync(runDir);
      return { taskDir, runsDir, runId, runDir, cwd, launch };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST' || attempt >= 5) throw fsError('create', runDir, error);
      runId = `${generateRunId()}-${randomBytes(3).toString('hex')}`;
    }
  }
}

/** Missing key, missing executable: configuration errors (exit 3) before anything starts. */
function checkLaunchable(
  agent: AgentConfig,
  backend: AgentBackend,
  launch: AgentLaunch,
  cwd: string,
): void {
  if (backend.requiresKey && backend.keyEnvVar !== undefined && !launch.env[backend.keyEnvVar]) {
    throw new ConfigError(
      'AGENT_KEY_MISSING',
      `agent ${agent.name}: no API key (set ${backend.keyEnvVar}, or token/token_file in config.yaml)`,
    );
  }
  const exe = launch.argv[0];
  if (exe === undefined || exe === '') {
    throw new ConfigError('AGENT_COMMAND_MISSING', `agent ${agent.name}: empty command line`);
  }
  if (findExecutable(exe, launch.env, cwd) === undefined) {
    throw new ConfigError(
      'AGENT_NOT_FOUND',
      `agent ${agent.name}: executable "${exe}" not found${exe.includes('/') ? '' : ' on PATH'}`,
    );
  }
}

function initialInfo(opts: JobOptions, p: Prepared, timeoutMs: number): RunInfo {
  const info: RunInfo = {
    version: 1,
    run_id: p.runId,
    project_id: opts.projectId,
    task_id: opts.taskId,
    agent: opts.agent.type,
    pid: 0,
    pgid: 0,
    start_time: formatPreciseTimestamp(),
    end_time: ZERO_TIME,
    exit_code: -1,
    status: 'queued',
    cwd: p.cwd,
    prompt_path: join(p.runDir, FILES.prompt),
    output_path: join(p.runDir, FILES.output),
    stdout_path: join(p.runDir, FILES.stdout),
    stderr_path: join(p.runDir, FILES.stderr),
    commandline: p.launch.commandline,
    agent_version: '',
  };
  if (opts.parentRunId) info.parent_run_id = opts.parentRunId;
  if (opts.previousRunId) info.previous_run_id = opts.previousRunId;
  if (opts.agent.name !== opts.agent.type) info.agent_name = opts.agent.name;
  if (opts.attempt !== undefined) info.attempt = opts.attempt;
  if (timeoutMs > 0) info.timeout_s = timeoutMs / 1000;
  return info;
}

/** How often a queued run looks for another process's stop marker (local stops abort at once). */
const QUEUED_STOP_POLL_MS = 500;

/** Wait for a slot; a stop request (local abort or another process's marker) ends the wait. */
async function waitForSlot(
  opts: JobOptions,
  runDir: string,
): Promise<SlotLease | undefined | 'stopped'> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let markerTimer: NodeJS.Timeout | undefined;
  try {
    if (opts.signal?.aborted) return 'stopped';
    return await acquireSlot(opts.root, opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, {
      signal: controller.signal,
      label: runDir,
      onQueued: () => {
        markerTimer = setInterval(() => {
          if (readStopMarker(runDir) !== undefined) controller.abort();
        }, QUEUED_STOP_POLL_MS);
      },
    });
  } catch (error) {
    if (controller.signal.aborted) return 'stopped';
    throw error;
  } finally {
    if (markerTimer !== undefined) clearInterval(markerTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

export async function runJob(opts: JobOptions): Promise<JobResult> {
  const backend = getBackend(opts.agent.type);
  const timeoutMs = opts.timeoutMs ?? opts.agent.timeoutMs;
  const p = prepare(opts, backend);
  const { runDir, runId } = p;
  const promptText = buildPromptFile(
    {
      taskDir: p.taskDir,
      runDir,
      projectId: opts.projectId,
      taskId: opts.taskId,
      runId,
      parentRunId: opts.parentRunId,
      busPath: taskBusPath(p.taskDir),
      conductorUrl: opts.conductorUrl,
    },
    opts.prompt,
    (opts.attempt ?? 0) > 0,
  );
  // A plain exclusive write: the folder is brand new and nothing reads prompt.md before spawn.
  try {
    writeFileSync(join(runDir, FILES.prompt), promptText, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    throw fsError('write', join(runDir, FILES.prompt), error);
  }
  // No fsync for this transient state: it keeps queue-to-spawn short; the final record is synced.
  writeFileAtomicSync(runInfoPath(runDir), formatRunInfo(initialInfo(opts, p, timeoutMs)), {
    fsync: false,
  });
  opts.onCreated?.({ runId, runDir });

  const slot = await waitForSlot(opts, runDir);
  if (slot === 'stopped') {
    writeStopMarker(runDir, 'stop');
    return (await finishRun(runDir, { kind: 'vanished' }, backend)).result;
  }
  const started = await startAgent(opts, p, backend, slot);
  return supervise(opts, p, backend, started, timeoutMs);
}

interface Started {
  pid: number;
  child: ChildProcess;
  scope: RunEventScope;
}

/** Spawn the wrapper with the slot, then record `running` (RUN_START first). */
async function startAgent(
  opts: JobOptions,
  p: Prepared,
  backend: AgentBackend,
  slot: SlotLease | undefined,
): Promise<Started> {
  const { runDir, runId } = p;
  let spawned;
  try {
    spawned = spawnWrapper({
      argv: p.launch.argv,
      env: p.launch.env,
      cwd: p.cwd,
      runDir,
      promptPath: join(runDir, FILES.prompt),
      stdoutPath: join(runDir, FILES.stdout),
      stderrPath: join(runDir, FILES.stderr),
      slotFd: slot?.fd,
    });
  } catch (error) {
    slot?.release();
    const message = error instanceof Error ? error.message : String(error);
    const failure = `cannot start the agent: ${message}`;
    await finishRun(runDir, { kind: 'not-started', error: failure }, backend);
    throw error;
  }
  // The wrapper holds the slot now; our copy of the fd must not keep it after the run.
  slot?.release();
  const { pid, child } = spawned;
  // The kernel frees the slot when the wrapper exits: hand it to a local waiter right then.
  child.once('exit', () => slotsFreed(opts.root));
  const startTime = formatPreciseTimestamp();
  opts.onStarted?.({ runId, runDir, pid });
  const scope = { taskDir: p.taskDir, projectId: opts.projectId, taskId: opts.taskId, runId };
  // Before `running` is recorded, so a run seen running always has its RUN_START. Async:
  // a blocking append would deadlock against another run's async append in this process.
  await postRunEvent(scope, 'RUN_START', runStartBody(runDir));
  updateRunInfo(runDir, (info) => {
    // A stopper from another process may already have recorded the end; keep it.
    if (!isTerminalStatus(info.status)) info.status = 'running';
    info.pid = pid;
    info.pgid = pid;
    info.start_time = startTime;
  });
  return { pid, child, scope };
}

/** Record the agent version when the backend finds one (runs beside the agent). */
async function recordVersion(opts: JobOptions, p: Prepared, backend: AgentBackend): Promise<void> {
  try {
    const agentVersion = await backend.detectVersion(opts.agent, p.launch.env);
    if (agentVersion === '') return;
    updateRunInfo(p.runDir, (info) => {
      if (!info.agent_version) info.agent_version = agentVersion;
    });
  } catch (error) {
    log().debug({ err: error, runId: p.runId }, 'agent version detection failed');
  }
}

/** Enforce timeouts and stop requests until the run ends, then record the end. */
async function supervise(
  opts: JobOptions,
  p: Prepared,
  backend: AgentBackend,
  started: Started,
  timeoutMs: number,
): Promise<JobResult> {
  const { runDir, runId } = p;
  const idleTimeoutMs = opts.idleTimeoutMs ?? opts.agent.idleTimeoutMs ?? 0;
  const graceMs = opts.stopGraceMs ?? 30_000;
  const version = recordVersion(opts, p, backend);
  let stopping: Promise<void> | undefined;
  const stop = (reason: StopReason): void => {
    stopping ??= stopRun(runDir, { reason, graceMs, finish: false }).catch((error: unknown) =>
      log().warn({ err: error, runId }, 'stopping the run failed'),
    );
  };
  let timedOut: string | undefined;
  const timeout = (what: string): void => {
    timedOut ??= what;
    stop('timeout');
  };
  const totalTimer =
    timeoutMs > 0 ? setTimeout(() => timeout(`${timeoutMs / 1000}s`), timeoutMs) : undefined;
  const idle =
    idleTimeoutMs > 0
      ? watchIdle(runDir, idleTimeoutMs, () => timeout(`${idleTimeoutMs / 1000}s of idle output`))
      : undefined;
  const onAbort = (): void => stop('stop');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) stop('stop');
  const logCaps =
    opts.maxLogBytes !== undefined && opts.maxLogBytes > 0
      ? watchLogCaps([join(runDir, FILES.stdout), join(runDir, FILES.stderr)], opts.maxLogBytes)
      : undefined;
  // A stopper that came while run-info had no pgid yet could only leave its marker.
  const early = readStopMarker(runDir);
  if (early !== undefined) stop(early);
  try {
    const observation = await waitForExit(runDir, { pgid: started.pid, child: started.child });
    if (totalTimer !== undefined) clearTimeout(totalTimer);
    idle?.close();
    slotsFreed(opts.root);
    if (stopping !== undefined) await stopping;
    await version;
    const { result, recorded } = await finishRun(runDir, observation, backend);
    if (recorded && timedOut !== undefined && result.status === 'timeout') {
      await postRunEvent(started.scope, 'WARN', `agent job timed out after ${timedOut}`);
    }
    return result;
  } finally {
    if (totalTimer !== undefined) clearTimeout(totalTimer);
    idle?.close();
    logCaps?.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
