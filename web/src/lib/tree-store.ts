// In-memory index of projects, tasks and runs for the sidebar. Loaded once through the
// paginated API, then kept current by /api/v1/events (no reload per event).
import { api, fetchAllPages } from '../api/client';
import type { ProjectSummary, RunSummary, TaskSummary } from '@client/api-types';

export type LoadState = 'idle' | 'loading' | 'ready' | 'error';

export interface TreeData {
  projects: Map<string, ProjectSummary>;
  tasks: Map<string, TaskSummary>;
  runs: Map<string, RunSummary>;
  version: number;
  loadState: LoadState;
  error?: string;
}

export const taskKey = (project: string, task: string): string => `${project}/${task}`;

type Listener = () => void;

export class TreeStore {
  private data: TreeData = {
    projects: new Map(),
    tasks: new Map(),
    runs: new Map(),
    version: 0,
    loadState: 'idle',
  };
  private listeners = new Set<Listener>();
  private pending = false;
  /** Keys changed by events while a load is in flight: newer than what the load fetched. */
  private touched: Set<string> | undefined;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): TreeData => this.data;

  /** Loads everything; events that arrive meanwhile are merged, not lost. */
  async load(): Promise<void> {
    this.data = { ...this.data, loadState: 'loading', error: undefined };
    const touched = (this.touched = new Set());
    this.notify();
    try {
      const { projects } = await api.projects();
      const taskLists = await Promise.all(
        projects.map((project) =>
          fetchAllPages(
            (offset, limit) => api.tasks(project.project_id, { offset, limit }),
            (page) => page.tasks,
          ),
        ),
      );
      const runs = await fetchAllPages(
        (offset, limit) => api.runs({ offset, limit }),
        (page) => page.runs,
        1000,
      );
      const next = { ...this.data };
      next.projects = new Map(this.data.projects);
      for (const project of projects) next.projects.set(project.project_id, project);
      next.tasks = new Map(this.data.tasks);
      for (const task of taskLists.flat()) {
        const key = taskKey(task.project_id, task.task_id);
        if (!touched.has(key)) next.tasks.set(key, task);
      }
      next.runs = new Map(this.data.runs);
      for (const run of runs) if (!touched.has(run.run_id)) next.runs.set(run.run_id, run);
      next.loadState = 'ready';
      next.version += 1;
      this.data = next;
    } catch (error) {
      this.data = { ...this.data, loadState: 'error', error: (error as Error).message };
    }
    if (this.touched === touched) this.touched = undefined;
    this.notify();
  }

  upsertRun(run: RunSummary): void {
    this.data.runs.set(run.run_id, run);
    this.touched?.add(run.run_id);
    this.ensureProject(run.project_id);
    const key = taskKey(run.project_id, run.task_id);
    if (!this.data.tasks.has(key)) {
      this.data.tasks.set(key, {
        project_id: run.project_id,
        task_id: run.task_id,
        status: run.status === 'running' ? 'running' : 'idle',
        agent: run.agent,
        run_count: 1,
        latest_run_id: run.run_id,
        latest_run_status: run.status,
      });
    }
    this.bump();
  }

  upsertTask(task: TaskSummary): void {
    const key = taskKey(task.project_id, task.task_id);
    this.data.tasks.set(key, task);
    this.touched?.add(key);
    this.ensureProject(task.project_id);
    this.bump();
  }

  removeTask(project: string, task: string): void {
    this.data.tasks.delete(taskKey(project, task));
    this.touched?.add(taskKey(project, task));
    for (const [id, run] of this.data.runs) {
      if (run.project_id === project && run.task_id === task) this.data.runs.delete(id);
    }
    this.bump();
  }

  private ensureProject(project: string): void {
    if (this.data.projects.has(project)) return;
    this.data.projects.set(project, {
      project_id: project,
      task_count: 0,
      run_count: 0,
      running_count: 0,
    });
  }

  /** Coalesces bursts of events into one render per frame. */
  private bump(): void {
    if (this.pending) return;
    this.pending = true;
    const flush = () => {
      this.pending = false;
      this.data = { ...this.data, version: this.data.version + 1 };
      this.notify();
    };
    if (typeof requestAnimationFrame === 'function' && !document.hidden)
      requestAnimationFrame(flush);
    else setTimeout(flush, 50);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export const treeStore = new TreeStore();
