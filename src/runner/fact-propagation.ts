/**
 * Completion FACT propagation (compat.md §3): when a task finishes with DONE, one FACT goes to
 * the project bus summarising the task's runs and facts, exactly once per propagation key.
 * The key hashes what the completion is about (DONE time, the runs and their outcome), so a
 * second loop over the same finished task finds it already propagated. State lives in
 * TASK-COMPLETE-FACT-PROPAGATION.yaml, guarded by an flock on the `.lock` file.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, fsError } from '../core/errors.js';
import { lockAsync, unlock } from '../core/flock.js';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import { formatPreciseTimestamp } from '../core/ids.js';
import { FILES, projectDir, taskDir } from '../core/layout.js';
import { tryReadRunInfo, type RunInfo } from '../core/run-info.js';
import { listRunDirs } from '../core/store.js';
import { doneMtime } from '../core/task-files.js';
import { parseYaml, yamlField } from '../core/yaml.js';
import { readBusSync } from '../bus/reader.js';
import type { BusMessage, BusParent } from '../bus/record.js';
import { appendMessage } from '../bus/writer.js';

const MAX_SOURCE_FACTS = 20;
const PROPAGATED_PREFIX = 'task completion facts propagated to project bus';

export interface PropagationState {
  version: number;
  last_propagation_key: string;
  last_project_message_id: string;
  last_propagated_at: string;
}

export interface PropagationResult {
  /** True when this call wrote the project FACT; false when the key was already propagated. */
  propagated: boolean;
  key: string;
  projectMessageId: string;
}

interface RunFacts {
  runId: string;
  runDir: string;
  info: RunInfo | undefined;
}

function readState(path: string): PropagationState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw fsError('read', path, error);
  }
  try {
    const raw = parseYaml(text) as Partial<Record<keyof PropagationState, unknown>> | null;
    if (raw === null || typeof raw !== 'object') return undefined;
    const str = (v: unknown): string =>
      typeof v === 'string' || typeof v === 'number' ? String(v) : '';
    return {
      version: Number(str(raw.version) || 1),
      last_propagation_key: str(raw.last_propagation_key),
      last_project_message_id: str(raw.last_project_message_id),
      last_propagated_at: str(raw.last_propagated_at),
    };
  } catch {
    return undefined;
  }
}

function formatState(state: PropagationState): string {
  return `${[
    yamlField('version', state.version),
    yamlField('last_propagation_key', state.last_propagation_key),
    yamlField('last_project_message_id', state.last_project_message_id),
    `last_propagated_at: ${state.last_propagated_at}`,
  ].join('\n')}\n`;
}

function readTaskBus(path: string): BusMessage[] {
  try {
    return readBusSync(path);
  } catch {
    // No task bus yet (DONE written by hand): nothing to cite.
    return [];
  }
}

/** Go-style RFC3339 with nanoseconds from a Date (sub-ms digits are zero). */
function rfc3339(date: Date): string {
  return formatPreciseTimestamp({ date, nanos: (date.getTime() % 1000) * 1_000_000 });
}

function isFailedStatus(status: string): boolean {
  return (
    status === 'failed' || status === 'timeout' || status === 'stopped' || status === 'crashed'
  );
}

/** The propagation key: a digest of what this completion is (stable across reruns of the loop). */
export function propagationKey(parts: {
  projectId: string;
  taskId: string;
  doneMtime: string;
  runs: readonly { runId: string; status: string; exitCode: number }[];
}): string {
  const hash = createHash('sha256');
  hash.update(`${parts.projectId}\0${parts.taskId}\0${parts.doneMtime}\0`);
  for (const run of parts.runs) hash.update(`${run.runId}:${run.status}:${run.exitCode}\n`);
  return hash.digest('hex');
}

export interface PropagateOptions {
  root: string;
  projectId: string;
  taskId: string;
}

/**
 * One propagation per project at a time in this process, queued in memory before any file is
 * opened: a burst of tasks finishing together would otherwise each hold their lock file and
 * the project bus open while polling for the bus lock (two descriptors per waiting task).
 */
const projectTurns = new Map<string, Promise<void>>();

async function inProjectTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = projectTurns.get(key) ?? Promise.resolve();
  let done = (): void => {};
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  projectTurns.set(key, tail);
  await previous;
  try {
    return await work();
  } finally {
    done();
    if (projectTurns.get(key) === tail) projectTurns.delete(key);
  }
}

/**
 * Propagate the task's completion to the project bus once, and note the result on the task
 * bus (FACT when written now, INFO when it was already propagated).
 */
export async function propagateCompletionFact(opts: PropagateOptions): Promise<PropagationResult> {
  const tDir = taskDir(opts.root, opts.projectId, opts.taskId);
  const lockPath = join(tDir, FILES.factPropagationLock);
  const result = await inProjectTurn(join(opts.root, opts.projectId), async () => {
    let fd: number;
    try {
      fd = openSync(lockPath, 'a', 0o644);
    } catch (error) {
      throw fsError('open', lockPath, error);
    }
    try {
      await lockAsync(fd, { timeoutMs: 5_000, what: lockPath });
      try {
        return await propagateLocked(opts, tDir);
      } finally {
        unlock(fd);
      }
    } finally {
      closeSync(fd);
    }
  });
  const taskBus = join(tDir, FILES.taskBus);
  const note = `(msg_id=${result.projectMessageId} key=${result.key})`;
  await appendMessage(taskBus, {
    type: result.propagated ? 'FACT' : 'INFO',
    project_id: opts.projectId,
    task_id: opts.taskId,
    body: result.propagated
      ? `${PROPAGATED_PREFIX} ${note}`
      : `task completion facts already propagated to project bus ${note}`,
  });
  return result;
}

async function propagateLocked(opts: PropagateOptions, tDir: string): Promise<PropagationResult> {
  const statePath = join(tDir, FILES.factPropagation);
  const donePath = join(tDir, FILES.done);
  const doneAt = doneMtime(tDir);
  const doneMtimeText = doneAt !== undefined ? rfc3339(doneAt) : '';
  const runs: RunFacts[] = listRunDirs(tDir).map(({ runId, runDir }) => ({
    runId,
    runDir,
    info: tryReadRunInfo(runDir),
  }));
  const key = propagationKey({
    projectId: opts.projectId,
    taskId: opts.taskId,
    doneMtime: doneMtimeText,
    runs: runs.map((r) => ({
      runId: r.runId,
      status: r.info?.status ?? 'unknown',
      exitCode: r.info?.exit_code ?? -1,
    })),
  });
  const previous = readState(statePath);
  if (previous?.last_propagation_key === key) {
    return { propagated: false, key, projectMessageId: previous.last_project_message_id };
  }

  const taskBusPath = join(tDir, FILES.taskBus);
  const taskMessages = readTaskBus(taskBusPath);
  const runEvents = taskMessages.filter((m) => /^RUN_(START|STOP|CRASH)$/.test(m.type));
  const latestEvent = runEvents[runEvents.length - 1];
  const facts = taskMessages.filter(
    (m) => m.type === 'FACT' && !m.body.startsWith(PROPAGATED_PREFIX),
  );
  const latestFact = facts[facts.length - 1];
  const latest = runs[runs.length - 1];
  const latestInfo = latest?.info;
  const propagatedAt = formatPreciseTimestamp();
  const count = (pred: (s: string) => boolean): number =>
    runs.filter((r) => pred(r.info?.status ?? 'unknown')).length;
  const completed = count((s) => s === 'completed');
  const failed = count(isFailedStatus);
  const running = count((s) => s === 'running' || s === 'queued');
  const runIds = runs.map((r) => r.runId);
  const runInfoPath = latest !== undefined ? join(latest.runDir, FILES.runInfo) : '';
  const outputPath = latest !== undefined ? join(latest.runDir, FILES.output) : '';

  const meta: Record<string, string> = {
    kind: 'task_completion_propagation',
    propagation_key: key,
    propagated_at: propagatedAt,
    run_count: String(runs.length),
    completed_run_count: String(completed),
    failed_run_count: String(failed),
    running_run_count: String(running),
    missing_run_info_ids: runs
      .filter((r) => r.info === undefined)
      .map((r) => r.runId)
      .join(','),
    source_project_id: opts.projectId,
    source_task_id: opts.taskId,
    source_task_dir: tDir,
    source_task_bus_path: taskBusPath,
    source_done_path: donePath,
    source_done_mtime: doneMtimeText,
    source_run_ids: runIds.join(','),
    source_latest_run_id: latest?.runId ?? '',
    source_latest_status: latestInfo?.status ?? '',
    source_latest_exit_code: latestInfo !== undefined ? String(latestInfo.exit_code) : '',
    source_latest_start_time: latestInfo?.start_time ?? '',
    source_latest_end_time: latestInfo?.end_time ?? '',
    source_run_info_path: runInfoPath,
    source_output_path: outputPath,
    task_fact_count: String(facts.length),
  };
  if (latestEvent !== undefined) {
    meta.latest_run_event_id = latestEvent.msg_id;
    meta.latest_run_event_ts = latestEvent.ts;
    meta.latest_run_event_type = latestEvent.type;
  }
  const parents: BusParent[] = [];
  if (latestEvent !== undefined)
    parents.push({ msg_id: latestEvent.msg_id, kind: 'source_run_event' });
  for (const fact of facts.slice(-MAX_SOURCE_FACTS)) {
    parents.push({ msg_id: fact.msg_id, kind: 'source_fact' });
  }
  const links = [
    { url: taskBusPath, label: 'task message bus', kind: 'task_bus' },
    { url: donePath, label: 'task DONE marker', kind: 'task_done' },
  ];
  if (latest !== undefined) {
    links.push({ url: runInfoPath, label: 'latest run-info.yaml', kind: 'run_info' });
    links.push({ url: outputPath, label: 'latest output.md', kind: 'output' });
  }

  const body = [
    'task completion propagated to project scope',
    '',
    `source_project_id: ${opts.projectId}`,
    `source_task_id: ${opts.taskId}`,
    `source_task_dir: ${tDir}`,
    `source_task_bus: ${taskBusPath}`,
    `source_done_file: ${donePath}`,
    `source_done_mtime: ${doneMtimeText}`,
    `propagated_at: ${propagatedAt}`,
    `propagation_key: ${key}`,
    '',
    'run_outcome_summary:',
    `- run_count: ${runs.length}`,
    `- completed_runs: ${completed}`,
    `- failed_runs: ${failed}`,
    `- running_runs: ${running}`,
    `- run_ids: ${runIds.join(', ')}`,
    ...(latest !== undefined
      ? [
          `- latest_run_id: ${latest.runId}`,
          `- latest_status: ${latestInfo?.status ?? 'unknown'}`,
          `- latest_exit_code: ${latestInfo?.exit_code ?? -1}`,
          `- latest_start_time: ${latestInfo?.start_time ?? ''}`,
          `- latest_end_time: ${latestInfo?.end_time ?? ''}`,
          `- latest_run_info_path: ${runInfoPath}`,
          `- latest_output_path: ${outputPath}`,
        ]
      : []),
    ...(latestEvent !== undefined
      ? [
          `- latest_run_event_msg_id: ${latestEvent.msg_id}`,
          `- latest_run_event_type: ${latestEvent.type}`,
          `- latest_run_event_ts: ${latestEvent.ts}`,
        ]
      : []),
    '',
    'task_fact_signals:',
    `- count: ${facts.length}`,
    ...(latestFact !== undefined
      ? [
          `- latest_fact_msg_id: ${latestFact.msg_id}`,
          `- latest_fact_ts: ${latestFact.ts}`,
          '- sample:',
          ...facts
            .slice(-5)
            .map((f) => `  - [${f.ts}] ${f.msg_id} ${f.body.split('\n')[0] ?? ''}`.trimEnd()),
        ]
      : []),
  ].join('\n');

  const message = await appendMessage(
    join(projectDir(opts.root, opts.projectId), FILES.projectBus),
    {
      type: 'FACT',
      project_id: opts.projectId,
      task_id: opts.taskId,
      run_id: latest?.runId ?? '',
      parents,
      links,
      meta,
      body,
    },
  );
  writeFileAtomicSync(
    statePath,
    formatState({
      version: 1,
      last_propagation_key: key,
      last_project_message_id: message.msg_id,
      last_propagated_at: propagatedAt,
    }),
  );
  return { propagated: true, key, projectMessageId: message.msg_id };
}
