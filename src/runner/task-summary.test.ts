import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunInfo, writeRunInfo, type RunInfo } from '../core/run-info.js';
import {
  ensureTaskPrompt,
  markDone,
  newLoopState,
  writeLoopState,
  writeTaskConfig,
} from '../core/task-files.js';
import { matchesTaskStatus, summarizeTask, summarizeTasks, taskRuns } from './task-summary.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'task-summary-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const taskPath = (id: string): string => join(root, 'p', id);

function addRun(taskId: string, runId: string, fields: Partial<RunInfo>): void {
  const runDir = join(taskPath(taskId), runId);
  mkdirSync(runDir, { recursive: true });
  writeRunInfo(runDir, {
    ...parseRunInfo('', runDir),
    version: 1,
    agent: 'codex',
    start_time: '2026-11-26T10:00:00Z',
    end_time: '2026-11-26T10:00:02Z',
    ...fields,
  });
}

describe('summarizeTask', () => {
  it('derives the task status from DONE, the loop state, dependencies and the latest run', async () => {
    addRun('done', '20260101-0000000000-1-1', { status: 'completed', exit_code: 0 });
    markDone(taskPath('done'));
    addRun('failed', '20260101-0000000000-1-2', { status: 'failed', exit_code: 2 });
    writeLoopState(taskPath('failed'), {
      ...newLoopState({ agent: 'codex' }),
      status: 'failed',
      exit_code: 2,
      error_summary: 'agent usage error',
    });
    ensureTaskPrompt(taskPath('blocked'), 'later');
    writeTaskConfig(taskPath('blocked'), { depends_on: ['failed', 'done'] });
    ensureTaskPrompt(taskPath('fresh'), 'nothing yet');

    const rows = await summarizeTasks(root, 'p');
    const byId = Object.fromEntries(rows.map((r) => [r.task_id, r]));
    expect(byId.done).toMatchObject({
      status: 'done',
      done: true,
      run_count: 1,
      latest_run_status: 'completed',
      latest_exit_code: 0,
      last_activity: '2026-11-26T10:00:02Z',
      pid_alive: false,
    });
    expect(byId.failed).toMatchObject({
      status: 'failed',
      error_summary: 'agent usage error',
      latest_exit_code: 2,
    });
    expect(byId.blocked).toMatchObject({
      status: 'blocked',
      depends_on: ['failed', 'done'],
      blocked_by: ['failed'],
      run_count: 0,
    });
    expect(byId.fresh).toMatchObject({ status: 'idle', latest_exit_code: null });

    const pick = (filter: string): string[] =>
      rows.filter((r) => matchesTaskStatus(r, filter)).map((r) => r.task_id);
    expect(pick('done')).toEqual(['done']);
    expect(pick('failed')).toEqual(['failed']);
    expect(pick('blocked')).toEqual(['blocked']);
    expect(pick('completed')).toEqual(['done']);
    expect(pick('pending')).toEqual(['blocked', 'fresh']);
    expect(pick('running')).toEqual([]);
  });

  it('shows a stopped run of a DONE task as completed, keeping what was recorded', async () => {
    addRun('t', '20260101-0000000000-1-1', {
      status: 'stopped',
      exit_code: -1,
      error_summary: 'agent exited with code -1',
    });
    markDone(taskPath('t'));
    const [run] = await taskRuns(root, 'p', 't');
    expect(run).toMatchObject({
      status: 'completed',
      exit_code: 0,
      recorded_status: 'stopped',
      recorded_exit_code: -1,
      duration_ms: 2000,
    });
    expect((await summarizeTask(root, 'p', 't')).latest_run_status).toBe('completed');
  });
});
