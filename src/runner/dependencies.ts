/**
 * Task dependencies (compat.md §8): `depends_on` from flags or TASK-CONFIG.yaml, checked for
 * self-references and cycles, and a wait that blocks the task until every dependency is DONE
 * and its loop has finished (DONE handling, children, FACT propagation). A dependency whose
 * loop ended `failed`, or that was cancelled, fails the dependent permanently.
 */
import { PermanentError, ValidationError } from '../core/errors.js';
import { assertSafeId } from '../core/ids.js';
import { taskDir } from '../core/layout.js';
import { tryReadRunInfo } from '../core/run-info.js';
import { listRunDirs } from '../core/store.js';
import {
  isActiveLoopStatus,
  isDone,
  isLoopOwnerAlive,
  readCancelled,
  readLoopState,
  readTaskConfig,
} from '../core/task-files.js';
import { sleepUnlessAborted } from './retry.js';
import { isGroupAlive } from './terminate.js';

export const DEFAULT_DEPENDENCY_POLL_MS = 2_000;

/** Validated, de-duplicated dependency list; a task may not depend on itself. */
export function normalizeDependsOn(taskId: string, dependsOn: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of dependsOn) {
    const dep = raw.trim();
    if (dep === '') continue;
    assertSafeId('task id', dep);
    if (dep === taskId) {
      throw new ValidationError(`task ${taskId} cannot depend on itself`);
    }
    if (!out.includes(dep)) out.push(dep);
  }
  return out;
}

/**
 * Throw a ValidationError naming the cycle if `taskId` -> `dependsOn` closes a loop through
 * the TASK-CONFIG.yaml files of the project's other tasks.
 */
export function assertNoDependencyCycle(
  root: string,
  projectId: string,
  taskId: string,
  dependsOn: readonly string[],
): void {
  const depsOf = (id: string): readonly string[] =>
    id === taskId ? dependsOn : readTaskConfig(taskDir(root, projectId, id)).depends_on;
  const visiting = new Set<string>();
  const finished = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    if (finished.has(id)) return;
    if (visiting.has(id)) {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new ValidationError(`dependency cycle: ${cycle.join(' -> ')}`);
    }
    visiting.add(id);
    for (const dep of depsOf(id)) {
      if (dep === id) throw new ValidationError(`task ${id} cannot depend on itself`);
      visit(dep, [...path, id]);
    }
    visiting.delete(id);
    finished.add(id);
  };
  visit(taskId, []);
}

export type DependencyState =
  { kind: 'done' } | { kind: 'pending'; reason: string } | { kind: 'failed'; reason: string };

/** Where one dependency stands, from its files alone (any process can ask). */
export function dependencyState(root: string, projectId: string, depId: string): DependencyState {
  const dir = taskDir(root, projectId, depId);
  const cancelled = readCancelled(dir);
  if (cancelled !== undefined) {
    return { kind: 'failed', reason: `dependency ${depId} was cancelled: ${cancelled.reason}` };
  }
  const loop = readLoopState(dir);
  const loopActive =
    loop !== undefined && isActiveLoopStatus(loop.status) && isLoopOwnerAlive(loop);
  if (isDone(dir)) {
    // DONE appears before the loop has waited for children and propagated its FACT, and a
    // run may still be working (compat §8: DONE and no running run).
    return loopActive || hasLiveRun(dir)
      ? { kind: 'pending', reason: 'finishing' }
      : { kind: 'done' };
  }
  if (loop?.status === 'failed' && !loopActive) {
    const why = loop.error_summary !== undefined ? `: ${loop.error_summary}` : '';
    return {
      kind: 'failed',
      reason: `dependency ${depId} failed (exit ${loop.exit_code})${why}`,
    };
  }
  return { kind: 'pending', reason: loop === undefined ? 'not started' : loop.status };
}

function hasLiveRun(taskPath: string): boolean {
  return listRunDirs(taskPath).some(({ runDir }) => {
    const info = tryReadRunInfo(runDir);
    return info?.status === 'running' && isGroupAlive(info.pgid);
  });
}

/** Dependencies that are not DONE yet ("blocked by"), for list/status displays. */
export function blockedBy(root: string, projectId: string, dependsOn: readonly string[]): string[] {
  return dependsOn.filter((dep) => dependencyState(root, projectId, dep).kind !== 'done');
}

export interface DependencyWait {
  root: string;
  projectId: string;
  dependsOn: readonly string[];
  pollMs?: number;
  signal?: AbortSignal;
  /** The task's own DONE appeared meanwhile: stop waiting (compat §8). */
  isSelfDone?: () => boolean;
  /** Called when the set of pending dependencies changes (and first, if any are pending). */
  onPending?: (pending: { id: string; reason: string }[]) => void;
}

export type DependencyWaitResult = 'satisfied' | 'self-done' | 'aborted';

/** Block until every dependency is done. Throws PermanentError when one failed for good. */
export async function waitForDependencies(wait: DependencyWait): Promise<DependencyWaitResult> {
  let lastKey = '';
  for (;;) {
    if (wait.isSelfDone?.() === true) return 'self-done';
    const pending: { id: string; reason: string }[] = [];
    for (const dep of wait.dependsOn) {
      const state = dependencyState(wait.root, wait.projectId, dep);
      if (state.kind === 'failed') {
        throw new PermanentError('DEPENDENCY_FAILED', state.reason, { details: { dep } });
      }
      if (state.kind === 'pending') pending.push({ id: dep, reason: state.reason });
    }
    if (pending.length === 0) return 'satisfied';
    const key = pending.map((p) => `${p.id}:${p.reason}`).join(',');
    if (key !== lastKey) {
      lastKey = key;
      wait.onPending?.(pending);
    }
    const slept = await sleepUnlessAborted(wait.pollMs ?? DEFAULT_DEPENDENCY_POLL_MS, wait.signal);
    if (!slept) return 'aborted';
  }
}
