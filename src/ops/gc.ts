/**
 * `conductor gc`: delete finished run folders older than a cut-off. Task folders stay, with
 * TASK.md, DONE, the task bus and config; each deleted run leaves one line in the task's
 * GC-SUMMARY.md so its outcome is still known. Runs that are queued, running or unreadable
 * are never touched.
 */
import { appendFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsError, NotFoundError } from '../core/errors.js';
import { isDirectory, taskDir } from '../core/layout.js';
import {
  isTerminalStatus,
  runDurationMs,
  tryReadRunInfo,
  ZERO_TIME,
  type RunInfo,
} from '../core/run-info.js';
import { listProjects, listRunDirs, listTasks } from '../core/store.js';
import { walkFiles } from './root-files.js';

export const GC_SUMMARY_FILE = 'GC-SUMMARY.md';
const SUMMARY_HEADER =
  '# Runs removed by conductor gc\n\nOne line per deleted run folder: id, final status, exit code, agent, times.\n\n';

/** Statuses `--keep-failed` keeps: the runs someone may still need to debug. */
const FAILED_STATUSES = new Set(['failed', 'timeout', 'crashed']);

export interface GcOptions {
  root: string;
  olderThanMs: number;
  dryRun?: boolean;
  keepFailed?: boolean;
  projectId?: string | undefined;
  now?: Date;
}

export interface PrunedRun {
  projectId: string;
  taskId: string;
  runId: string;
  status: string;
  bytes: number;
}

export interface GcResult {
  pruned: PrunedRun[];
  bytesFreed: number;
  /** Runs seen but kept (too new, active, failed with --keep-failed, unreadable). */
  kept: number;
  dryRun: boolean;
}

/** When the run ended, else when its folder last changed (runs killed before writing end_time). */
function finishedAtMs(info: RunInfo, runDir: string): number {
  if (info.end_time !== ZERO_TIME) {
    const end = Date.parse(info.end_time);
    if (Number.isFinite(end)) return end;
  }
  return statSync(runDir).mtimeMs;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const { absPath } of walkFiles(dir)) {
    try {
      total += statSync(absPath).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

export function summaryLine(info: RunInfo, prunedAt: Date): string {
  const duration = runDurationMs(info);
  const parts = [
    `- ${info.run_id}`,
    `status=${info.status}`,
    `exit_code=${info.exit_code}`,
    `agent=${info.agent_name ?? info.agent}`,
    `start=${info.start_time}`,
    `end=${info.end_time}`,
    duration !== undefined ? `duration_s=${(duration / 1000).toFixed(1)}` : undefined,
    `pruned=${prunedAt.toISOString()}`,
  ].filter((p): p is string => p !== undefined);
  const error = info.error_summary?.replace(/\s+/g, ' ').trim();
  return `${parts.join(' ')}${error ? ` error=${JSON.stringify(error.slice(0, 200))}` : ''}\n`;
}

export function runGc(options: GcOptions): GcResult {
  const now = options.now ?? new Date();
  const cutoff = now.getTime() - options.olderThanMs;
  const dryRun = options.dryRun ?? false;
  if (!isDirectory(options.root)) throw new NotFoundError(`runs root not found: ${options.root}`);
  const projects =
    options.projectId !== undefined ? [options.projectId] : listProjects(options.root);
  if (options.projectId !== undefined && !isDirectory(join(options.root, options.projectId))) {
    throw new NotFoundError(`project not found: ${options.projectId}`);
  }
  const result: GcResult = { pruned: [], bytesFreed: 0, kept: 0, dryRun };
  for (const projectId of projects) {
    for (const taskId of listTasks(options.root, projectId)) {
      const tDir = taskDir(options.root, projectId, taskId);
      for (const { runId, runDir } of listRunDirs(tDir)) {
        const info = tryReadRunInfo(runDir);
        const prune =
          info !== undefined &&
          isTerminalStatus(info.status) &&
          !(options.keepFailed === true && FAILED_STATUSES.has(info.status)) &&
          finishedAtMs(info, runDir) < cutoff;
        if (!prune) {
          result.kept++;
          continue;
        }
        const bytes = folderBytes(runDir);
        if (!dryRun) {
          // The summary line goes first: a crash between the two leaves a line, never a silent loss.
          const summaryPath = join(tDir, GC_SUMMARY_FILE);
          try {
            if (!existsSync(summaryPath)) writeFileSync(summaryPath, SUMMARY_HEADER);
            appendFileSync(summaryPath, summaryLine(info, now));
            rmSync(runDir, { recursive: true, force: true });
          } catch (error) {
            throw fsError('prune run', runDir, error);
          }
        }
        result.pruned.push({ projectId, taskId, runId, status: info.status, bytes });
        result.bytesFreed += bytes;
      }
    }
  }
  return result;
}
