// Flattens projects -> tasks -> runs into the rows the virtualized sidebar draws.
// Runs of a task are oldest first (restarts in order); child runs sit under their parent.
import type { RunSummary, TaskSummary } from '@client/api-types';
import { taskKey, type TreeData } from './tree-store';

export interface TreeFilter {
  text: string;
  status: string;
  agent: string;
}

interface RowBase {
  id: string;
  level: number;
  parentId?: string;
  expandable: boolean;
  expanded: boolean;
  path: string;
}
export interface ProjectRow extends RowBase {
  kind: 'project';
  projectId: string;
  taskCount: number;
  runningCount: number;
}
export interface TaskRow extends RowBase {
  kind: 'task';
  task: TaskSummary;
  runCount: number;
  /** Newest run, for the task's current duration. */
  latestRun?: RunSummary;
}
export interface RunRow extends RowBase {
  kind: 'run';
  run: RunSummary;
  attempt: number;
  /** False when the run's agent is the task's (already shown on the task row). */
  showAgent: boolean;
}
export type TreeRow = ProjectRow | TaskRow | RunRow;

export const projectRowId = (p: string): string => `p:${p}`;
export const taskRowId = (p: string, t: string): string => `t:${p}/${t}`;
export const runRowId = (r: string): string => `r:${r}`;

const enc = encodeURIComponent;
export const projectPath = (p: string): string => `/projects/${enc(p)}`;
export const taskPath = (p: string, t: string): string => `${projectPath(p)}/tasks/${enc(t)}`;
export const runPath = (p: string, t: string, r: string): string =>
  `${taskPath(p, t)}/runs/${enc(r)}`;

/** Statuses that mean the same thing at task and run level. */
const STATUS_ALIASES: Record<string, string[]> = {
  done: ['done', 'completed'],
  completed: ['done', 'completed'],
};

function statusMatches(filter: string, status: string | undefined): boolean {
  if (!filter) return true;
  if (!status) return false;
  return (STATUS_ALIASES[filter] ?? [filter]).includes(status);
}

export interface GroupedRuns {
  byTask: Map<string, RunSummary[]>;
}

/** Groups runs by task, oldest first. Run ids start with a sortable timestamp. */
export function groupRuns(data: TreeData): GroupedRuns {
  const byTask = new Map<string, RunSummary[]>();
  for (const run of data.runs.values()) {
    const key = taskKey(run.project_id, run.task_id);
    let list = byTask.get(key);
    if (!list) byTask.set(key, (list = []));
    list.push(run);
  }
  for (const list of byTask.values()) {
    // Not started yet (queued) sorts last.
    const key = (run: RunSummary) =>
      run.start_time && !run.start_time.startsWith('0001') ? run.start_time : '~';
    list.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return ka === kb ? a.run_id.localeCompare(b.run_id) : ka < kb ? -1 : 1;
    });
  }
  return { byTask };
}

export function buildRows(
  data: TreeData,
  grouped: GroupedRuns,
  expanded: ReadonlyMap<string, boolean>,
  filter: TreeFilter,
): TreeRow[] {
  const text = filter.text.trim().toLowerCase();
  const filtering = text !== '' || filter.status !== '' || filter.agent !== '';
  const runMatches = (run: RunSummary) =>
    statusMatches(filter.status, run.status) &&
    (!filter.agent || run.agent === filter.agent) &&
    (!text ||
      run.run_id.toLowerCase().includes(text) ||
      run.task_id.toLowerCase().includes(text) ||
      run.project_id.toLowerCase().includes(text) ||
      (run.agent ?? '').toLowerCase().includes(text));
  const taskMatches = (task: TaskSummary) =>
    statusMatches(filter.status, task.status) &&
    (!filter.agent || task.agent === filter.agent) &&
    (!text ||
      task.task_id.toLowerCase().includes(text) ||
      task.project_id.toLowerCase().includes(text) ||
      (task.agent ?? '').toLowerCase().includes(text));

  const tasksByProject = new Map<string, TaskSummary[]>();
  for (const task of data.tasks.values()) {
    let list = tasksByProject.get(task.project_id);
    if (!list) tasksByProject.set(task.project_id, (list = []));
    list.push(task);
  }
  const projectIds = [...new Set([...data.projects.keys(), ...tasksByProject.keys()])].sort();

  const rows: TreeRow[] = [];
  for (const projectId of projectIds) {
    const tasks = (tasksByProject.get(projectId) ?? []).sort((a, b) =>
      a.task_id.localeCompare(b.task_id),
    );
    const taskRows: { task: TaskSummary; runs: RunSummary[]; shownRuns: RunSummary[] }[] = [];
    let runningCount = 0;
    for (const task of tasks) {
      const runs = grouped.byTask.get(taskKey(projectId, task.task_id)) ?? [];
      if (task.status === 'running') runningCount += 1;
      if (!filtering) {
        taskRows.push({ task, runs, shownRuns: runs });
        continue;
      }
      const matchingRuns = runs.filter(runMatches);
      if (taskMatches(task)) taskRows.push({ task, runs, shownRuns: runs });
      else if (matchingRuns.length > 0) taskRows.push({ task, runs, shownRuns: matchingRuns });
    }
    if (filtering && taskRows.length === 0) continue;
    const pId = projectRowId(projectId);
    const projectOpen = expanded.get(pId) ?? true;
    rows.push({
      kind: 'project',
      id: pId,
      level: 1,
      expandable: taskRows.length > 0,
      expanded: projectOpen,
      path: projectPath(projectId),
      projectId,
      taskCount: tasks.length,
      runningCount,
    });
    if (!projectOpen) continue;
    for (const { task, runs, shownRuns } of taskRows) {
      const tId = taskRowId(projectId, task.task_id);
      const taskOpen = expanded.get(tId) ?? (filtering && shownRuns !== runs);
      rows.push({
        kind: 'task',
        id: tId,
        level: 2,
        parentId: pId,
        expandable: shownRuns.length > 0,
        expanded: taskOpen,
        path: taskPath(projectId, task.task_id),
        task,
        runCount: Math.max(task.run_count ?? 0, runs.length),
        latestRun: runs[runs.length - 1],
      });
      if (taskOpen) pushRuns(rows, shownRuns, runs, tId, expanded, task.agent);
    }
  }
  return rows;
}

function pushRuns(
  rows: TreeRow[],
  shown: RunSummary[],
  all: RunSummary[],
  taskId: string,
  expanded: ReadonlyMap<string, boolean>,
  taskAgent: string | undefined,
): void {
  const shownIds = new Set(shown.map((r) => r.run_id));
  const children = new Map<string, RunSummary[]>();
  const roots: RunSummary[] = [];
  for (const run of shown) {
    const parent = run.parent_run_id;
    if (parent && shownIds.has(parent) && parent !== run.run_id) {
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(run);
    } else roots.push(run);
  }
  // Attempt numbers count the task's top-level runs (restarts), not children.
  const attempts = new Map<string, number>();
  let n = 0;
  for (const run of all) if (!run.parent_run_id) attempts.set(run.run_id, ++n);

  const visit = (run: RunSummary, level: number, parentId: string, seen: Set<string>) => {
    const id = runRowId(run.run_id);
    const kids = children.get(run.run_id) ?? [];
    const open = expanded.get(id) ?? true;
    rows.push({
      kind: 'run',
      id,
      level,
      parentId,
      expandable: kids.length > 0,
      expanded: open,
      path: runPath(run.project_id, run.task_id, run.run_id),
      run,
      attempt: attempts.get(run.run_id) ?? 0,
      showAgent: run.agent !== taskAgent,
    });
    if (!open || seen.has(run.run_id)) return;
    seen.add(run.run_id);
    for (const kid of kids) visit(kid, level + 1, id, seen);
  };
  for (const run of roots) visit(run, 3, taskId, new Set());
}
