import { describe, expect, it } from 'vitest';
import type { RunSummary, TaskSummary } from '@client/api-types';
import { buildRows, groupRuns } from './build-tree';
import type { TreeData } from './tree-store';

function run(id: string, task: string, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    run_id: id,
    project_id: 'p',
    task_id: task,
    agent: 'demo',
    status: 'completed',
    ...extra,
  };
}
function task(id: string, extra: Partial<TaskSummary> = {}): TaskSummary {
  return { project_id: 'p', task_id: id, status: 'done', run_count: 0, agent: 'demo', ...extra };
}
function data(tasks: TaskSummary[], runs: RunSummary[]): TreeData {
  return {
    projects: new Map([
      [
        'p',
        { project_id: 'p', task_count: tasks.length, run_count: runs.length, running_count: 0 },
      ],
    ]),
    tasks: new Map(tasks.map((t) => [`p/${t.task_id}`, t])),
    runs: new Map(runs.map((r) => [r.run_id, r])),
    version: 1,
    loadState: 'ready',
  };
}
const noFilter = { text: '', status: '', agent: '' };

describe('buildRows', () => {
  const d = data(
    [task('t1'), task('t2', { status: 'running' })],
    [
      run('20261126-1000000000-1-2', 't1', {
        start_time: '2026-11-26T10:00:02Z',
        status: 'failed',
      }),
      run('20261126-1000000000-1-1', 't1', { start_time: '2026-11-26T10:00:01Z' }),
      run('20261126-1000000000-1-3', 't1', {
        start_time: '2026-11-26T10:00:03Z',
        parent_run_id: '20261126-1000000000-1-1',
      }),
      run('20261126-1100000000-1-1', 't2', { status: 'running', agent: 'codex' }),
    ],
  );

  it('lists restarts oldest first with children under their parent', () => {
    const rows = buildRows(d, groupRuns(d), new Map([['t:p/t1', true]]), noFilter);
    expect(rows.map((r) => `${r.level}:${r.id}`)).toEqual([
      '1:p:p',
      '2:t:p/t1',
      '3:r:20261126-1000000000-1-1',
      '4:r:20261126-1000000000-1-3',
      '3:r:20261126-1000000000-1-2',
      '2:t:p/t2',
    ]);
    const attempts = rows.flatMap((r) => (r.kind === 'run' ? [r.attempt] : []));
    expect(attempts).toEqual([1, 0, 2]);
  });

  it('keeps collapsed tasks closed and projects open by default', () => {
    const rows = buildRows(d, groupRuns(d), new Map(), noFilter);
    expect(rows.map((r) => r.id)).toEqual(['p:p', 't:p/t1', 't:p/t2']);
  });

  it('filters by run status and opens tasks that hold matches', () => {
    const rows = buildRows(d, groupRuns(d), new Map(), { ...noFilter, status: 'failed' });
    expect(rows.map((r) => r.id)).toEqual(['p:p', 't:p/t1', 'r:20261126-1000000000-1-2']);
  });

  it('filters by agent and free text', () => {
    expect(
      buildRows(d, groupRuns(d), new Map(), { ...noFilter, agent: 'codex' }).map((r) => r.id),
    ).toEqual(['p:p', 't:p/t2', 'r:20261126-1100000000-1-1']);
    expect(
      buildRows(d, groupRuns(d), new Map(), { ...noFilter, text: 'T2' }).map((r) => r.id),
    ).toEqual(['p:p', 't:p/t2']);
    expect(buildRows(d, groupRuns(d), new Map(), { ...noFilter, text: 'nothing' })).toEqual([]);
  });

  it('builds 10,000 runs in well under a frame budget per keystroke', () => {
    const tasks: TaskSummary[] = [];
    const runs: RunSummary[] = [];
    for (let t = 0; t < 1000; t += 1) {
      tasks.push(task(`t${t}`));
      for (let r = 0; r < 10; r += 1)
        runs.push(run(`20261126-10${String(t).padStart(4, '0')}${r}000-1-${r}`, `t${t}`));
    }
    const big = data(tasks, runs);
    const grouped = groupRuns(big);
    const started = performance.now();
    const rows = buildRows(big, grouped, new Map(), { ...noFilter, text: 't99' });
    expect(rows.length).toBeGreaterThan(1);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('groupRuns', () => {
  it('puts runs that have not started after the others', () => {
    const d = data(
      [task('t')],
      [
        run('20261126-1000000000-1-9', 't', {
          status: 'queued',
          start_time: '0001-01-01T00:00:00Z',
        }),
        run('20261126-0900000000-1-1', 't', { start_time: '2026-11-26T09:00:00Z' }),
      ],
    );
    expect(
      groupRuns(d)
        .byTask.get('p/t')
        ?.map((r) => r.status),
    ).toEqual(['completed', 'queued']);
  });
});
