/**
 * In-memory index of projects, tasks and runs under one root, so list requests never scan
 * the disk. It is fed three ways: our own writes (`refresh*` calls from routes), fs.watch
 * on the root, project and task folders and on active run folders, and a slow periodic
 * stat-based pass that catches anything the watchers missed (inotify limits, NFS).
 * Every change is published as a numbered event for `/api/v1/events`.
 */
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { isSafeId } from '../core/ids.js';
import { FILES } from '../core/layout.js';
import { isTerminalStatus, tryReadRunInfo, type RunInfo } from '../core/run-info.js';
import { DirWatchers } from './dir-watchers.js';
import { listProjects, listRunDirs, listTasks } from '../core/store.js';
import {
  isActiveLoopStatus,
  isDone,
  readLoopState,
  readTaskConfig,
  type TaskLoopState,
} from '../core/task-files.js';

export interface RunEntry {
  info: RunInfo;
  runDir: string;
  /** `<project>/<task>` */
  taskKey: string;
}

export interface TaskEntry {
  projectId: string;
  taskId: string;
  dir: string;
  /** Run ids, oldest first (run ids sort by start time). */
  runIds: string[];
  done: boolean;
  loop: TaskLoopState | undefined;
  dependsOn: string[];
  /** Folder birth/mtime fallback when no run exists yet. */
  createdAt: string;
  mtimeMs: number;
}

export interface ProjectEntry {
  projectId: string;
  dir: string;
  tasks: Set<string>;
}

export type IndexEvent =
  { seq: number; kind: 'run'; run: RunEntry } | { seq: number; kind: 'task'; task: TaskEntry };

export interface RunIndexOptions {
  root: string;
  /** Period of the stat-based safety pass (default 30 s). */
  reconcileMs?: number;
  /** Events kept for `Last-Event-ID` resume. */
  eventBacklog?: number;
  watch?: boolean;
  /** Settled tasks whose folders stay watched (default 512); older ones rely on the pass. */
  settledWatchCap?: number;
}

const SETTLED_WATCH_CAP = 512;

/** Directory listings through core/store; a folder that cannot be read lists as empty. */
function safely<T>(list: () => T[]): T[] {
  try {
    return list();
  } catch {
    return [];
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

export class RunIndex {
  readonly root: string;
  readonly projects = new Map<string, ProjectEntry>();
  readonly tasks = new Map<string, TaskEntry>();
  readonly runs = new Map<string, RunEntry>();
  private sortedRuns: RunEntry[] = [];
  private sortedDirty = false;
  private readonly emitter = new EventEmitter();
  private readonly backlog: IndexEvent[] = [];
  private readonly backlogSize: number;
  private seq = 0;
  private readonly watchers: DirWatchers;
  private readonly pendingTasks = new Set<string>();
  /** Settled tasks still watched, oldest first. */
  private readonly settledWatched = new Set<string>();
  /** Run folder -> task key, re-read at the next flush. */
  private readonly pendingRuns = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RunIndexOptions) {
    this.root = options.root;
    this.backlogSize = options.eventBacklog ?? 2000;
    this.watchers = new DirWatchers(options.watch ?? true);
    this.emitter.setMaxListeners(0);
  }

  /** Initial full scan, then watchers and the periodic pass. */
  start(): void {
    this.scanRoot();
    this.watchers.watch(this.root, () => this.scanRoot());
    const period = this.options.reconcileMs ?? 30_000;
    this.reconcileTimer = setInterval(() => this.reconcile(), period);
    this.reconcileTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.watchers.close();
    this.emitter.removeAllListeners();
  }

  // ---- queries ----------------------------------------------------------------------------

  /** All runs, newest first. Sorted lazily: only additions make the order stale. */
  runsNewestFirst(): readonly RunEntry[] {
    if (this.sortedDirty) {
      this.sortedRuns = [...this.runs.values()].sort((a, b) =>
        a.info.run_id < b.info.run_id ? 1 : a.info.run_id > b.info.run_id ? -1 : 0,
      );
      this.sortedDirty = false;
    }
    return this.sortedRuns;
  }

  task(projectId: string, taskId: string): TaskEntry | undefined {
    return this.tasks.get(`${projectId}/${taskId}`);
  }

  runsOfTask(task: TaskEntry): RunEntry[] {
    const out: RunEntry[] = [];
    for (const id of task.runIds) {
      const run = this.runs.get(id);
      if (run !== undefined) out.push(run);
    }
    return out;
  }

  latestRun(task: TaskEntry): RunEntry | undefined {
    const id = task.runIds[task.runIds.length - 1];
    return id === undefined ? undefined : this.runs.get(id);
  }

  /** Events after `seq` still in the backlog; undefined when `seq` is older than the backlog. */
  eventsSince(seq: number): IndexEvent[] | undefined {
    const first = this.backlog[0];
    if (first !== undefined && seq < first.seq - 1) return undefined;
    // An id from before a server restart (numbers start again): the client must reload.
    if (seq > this.seq) return undefined;
    return this.backlog.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }

  onEvent(listener: (event: IndexEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  // ---- feeding ----------------------------------------------------------------------------

  /** Re-read one task folder (its files and run list). Returns the entry, if the task exists. */
  refreshTask(projectId: string, taskId: string): TaskEntry | undefined {
    if (!isSafeId(projectId) || !isSafeId(taskId)) return undefined;
    const projectDir = join(this.root, projectId);
    const dir = join(projectDir, taskId);
    const mtimeMs = mtimeOf(dir);
    const key = `${projectId}/${taskId}`;
    if (mtimeMs < 0) {
      this.forgetTask(key);
      return undefined;
    }
    const project = this.ensureProject(projectId);
    project.tasks.add(taskId);
    let entry = this.tasks.get(key);
    const runDirs = this.runDirsOf(dir);
    const runIds: string[] = [];
    for (const runDir of runDirs) {
      const runId = runDir.slice(runDir.lastIndexOf('/') + 1);
      runIds.push(runId);
      const known = this.runs.get(runId);
      if (known === undefined || known.runDir !== runDir) this.loadRun(runDir, key, false);
      else if (!isTerminalStatus(known.info.status)) this.loadRun(runDir, key, false);
    }
    runIds.sort();
    let config: string[] = [];
    try {
      config = readTaskConfig(dir).depends_on ?? [];
    } catch {
      config = [];
    }
    let loop: TaskLoopState | undefined;
    try {
      loop = ownCopy(readLoopState(dir));
    } catch {
      loop = undefined;
    }
    const fresh: TaskEntry = {
      projectId,
      taskId,
      dir,
      runIds,
      done: isDone(dir),
      loop,
      dependsOn: config,
      createdAt: entry?.createdAt ?? new Date(birthOrMtime(dir)).toISOString(),
      mtimeMs,
    };
    // Forget runs whose folders vanished (task/run deleted).
    if (entry !== undefined) {
      for (const old of entry.runIds) {
        if (!runIds.includes(old)) {
          this.runs.delete(old);
          this.sortedDirty = true;
        }
      }
    }
    const changed = entry === undefined || taskChanged(entry, fresh);
    entry = fresh;
    this.tasks.set(key, entry);
    this.watchTask(entry);
    if (changed) this.publish({ seq: 0, kind: 'task', task: entry });
    return entry;
  }

  /** Re-read one run's run-info.yaml. */
  refreshRun(runDir: string, projectId: string, taskId: string): RunEntry | undefined {
    return this.loadRun(runDir, `${projectId}/${taskId}`, true);
  }

  /** Forget a task (after delete). */
  forgetTask(key: string): void {
    const entry = this.tasks.get(key);
    if (entry === undefined) return;
    for (const runId of entry.runIds) {
      const run = this.runs.get(runId);
      if (run !== undefined) this.watchers.unwatch(run.runDir);
      this.runs.delete(runId);
    }
    this.watchers.unwatch(entry.dir);
    this.watchers.unwatch(join(entry.dir, FILES.referenceRunsDir));
    this.settledWatched.delete(key);
    this.tasks.delete(key);
    this.projects.get(entry.projectId)?.tasks.delete(entry.taskId);
    this.sortedDirty = true;
  }

  /** The stat-based safety pass: new projects/tasks, changed task folders, active runs. */
  reconcile(): void {
    if (this.closed) return;
    this.scanRoot();
    for (const task of [...this.tasks.values()]) {
      const mtime = mtimeOf(task.dir);
      const runsMtime = mtimeOf(join(task.dir, FILES.referenceRunsDir));
      const hasActive = task.runIds.some((id) => {
        const run = this.runs.get(id);
        return run !== undefined && !isTerminalStatus(run.info.status);
      });
      if (
        mtime !== task.mtimeMs ||
        runsMtime > task.mtimeMs ||
        hasActive ||
        (task.loop !== undefined && isActiveLoopStatus(task.loop.status))
      ) {
        this.refreshTask(task.projectId, task.taskId);
      }
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private ensureProject(projectId: string): ProjectEntry {
    let project = this.projects.get(projectId);
    if (project === undefined) {
      const dir = join(this.root, projectId);
      project = { projectId, dir, tasks: new Set() };
      this.projects.set(projectId, project);
      this.watchers.watch(dir, () => this.scanProject(projectId), notBusOrTemp);
    }
    return project;
  }

  private scanRoot(): void {
    for (const name of safely(() => listProjects(this.root))) {
      if (!this.projects.has(name)) this.scanProject(name);
    }
    for (const projectId of [...this.projects.keys()]) {
      if (mtimeOf(join(this.root, projectId)) < 0) {
        for (const taskId of this.projects.get(projectId)?.tasks ?? []) {
          this.forgetTask(`${projectId}/${taskId}`);
        }
        this.watchers.unwatch(join(this.root, projectId));
        this.projects.delete(projectId);
      }
    }
  }

  private scanProject(projectId: string): void {
    const project = this.ensureProject(projectId);
    const present = new Set<string>();
    for (const name of safely(() => listTasks(this.root, projectId))) {
      present.add(name);
      if (!this.tasks.has(`${projectId}/${name}`)) this.refreshTask(projectId, name);
    }
    for (const taskId of [...project.tasks]) {
      if (!present.has(taskId)) this.forgetTask(`${projectId}/${taskId}`);
    }
  }

  private runDirsOf(taskDir: string): string[] {
    return safely(() => listRunDirs(taskDir)).map((entry) => entry.runDir);
  }

  private loadRun(runDir: string, taskKey: string, updateTask: boolean): RunEntry | undefined {
    let info: RunInfo | undefined;
    try {
      info = ownCopy(tryReadRunInfo(runDir));
    } catch {
      info = undefined;
    }
    if (info === undefined) {
      // A run folder being created: its run-info.yaml lands in a moment (watched below).
      if (mtimeOf(runDir) < 0) return undefined;
      const runId = runDir.slice(runDir.lastIndexOf('/') + 1);
      const [projectId = '', taskId = ''] = taskKey.split('/');
      info = {
        version: 0,
        run_id: runId,
        project_id: projectId,
        task_id: taskId,
        agent: '',
        pid: 0,
        pgid: 0,
        start_time: '0001-01-01T00:00:00Z',
        end_time: '0001-01-01T00:00:00Z',
        exit_code: -1,
        status: 'queued',
        cwd: '',
        prompt_path: join(runDir, FILES.prompt),
        output_path: join(runDir, FILES.output),
        stdout_path: join(runDir, FILES.stdout),
        stderr_path: join(runDir, FILES.stderr),
        commandline: '',
        agent_version: '',
      };
    }
    const runId = runDir.slice(runDir.lastIndexOf('/') + 1);
    // The folder name is the id the API addresses; a copied run-info may say otherwise.
    info.run_id = runId;
    const previous = this.runs.get(runId);
    const entry: RunEntry = { info, runDir, taskKey };
    if (previous === undefined) this.sortedDirty = true;
    else {
      const at = this.sortedDirty ? -1 : this.sortedRuns.indexOf(previous);
      if (at >= 0) this.sortedRuns[at] = entry;
      else this.sortedDirty = true;
    }
    this.runs.set(runId, entry);
    if (isTerminalStatus(info.status)) this.watchers.unwatch(runDir);
    // Only run-info changes matter here; output growth would otherwise re-read it per write.
    else
      this.watchers.watch(
        runDir,
        () => {
          this.pendingRuns.set(runDir, taskKey);
          this.scheduleFlush();
        },
        isRunInfo,
      );
    const changed =
      previous === undefined ||
      previous.info.status !== info.status ||
      previous.info.exit_code !== info.exit_code ||
      previous.info.end_time !== info.end_time ||
      previous.info.pid !== info.pid;
    if (changed) this.publish({ seq: 0, kind: 'run', run: entry });
    if (updateTask) {
      const task = this.tasks.get(taskKey);
      if (task === undefined) {
        const [projectId = '', taskId = ''] = taskKey.split('/');
        this.refreshTask(projectId, taskId);
      } else {
        if (!task.runIds.includes(runId)) {
          task.runIds.push(runId);
          task.runIds.sort();
        }
        // The task's last run may just have ended (a job without a loop): settle its watch.
        if (isTerminalStatus(info.status)) this.watchTask(task);
      }
    }
    return entry;
  }

  /**
   * Watch a task folder while the task can change by itself, and the most recently settled
   * ones (every run ended, no active loop: an operator may still touch DONE or resume them).
   * Older settled tasks are left to the periodic pass, which stats every task folder and
   * re-watches one when a run appears. A watch per task ever seen would grow without bound
   * (kernel inotify watches and ~0.5 KB of heap each) until the system's limit ends watching.
   */
  private watchTask(task: TaskEntry): void {
    const key = `${task.projectId}/${task.taskId}`;
    const refRuns = join(task.dir, FILES.referenceRunsDir);
    if (this.isSettled(task)) {
      if (!this.settledWatched.has(key)) {
        this.settledWatched.add(key);
        if (this.settledWatched.size > (this.options.settledWatchCap ?? SETTLED_WATCH_CAP)) {
          const oldest = this.settledWatched.values().next().value!;
          this.settledWatched.delete(oldest);
          const dir = this.tasks.get(oldest)?.dir;
          if (dir !== undefined) {
            this.watchers.unwatch(dir);
            this.watchers.unwatch(join(dir, FILES.referenceRunsDir));
          }
        }
      }
      if (!this.settledWatched.has(key)) return;
    } else this.settledWatched.delete(key);
    this.watchers.watch(task.dir, () => this.schedule(this.pendingTasks, key), notBusOrTemp);
    if (mtimeOf(refRuns) >= 0)
      this.watchers.watch(refRuns, () => this.schedule(this.pendingTasks, key));
  }

  /** Folders watched now (root, projects, tasks, active runs). */
  get watchedFolders(): number {
    return this.watchers.size;
  }

  private isSettled(task: TaskEntry): boolean {
    if (task.loop !== undefined && isActiveLoopStatus(task.loop.status)) return false;
    if (task.runIds.length === 0 && task.loop === undefined) return false;
    return task.runIds.every((id) => {
      const run = this.runs.get(id);
      return run !== undefined && isTerminalStatus(run.info.status);
    });
  }

  private schedule(set: Set<string>, key: string): void {
    set.add(key);
    this.scheduleFlush();
  }

  /** Coalesce bursts (an atomic write is several events) into one re-read. */
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), 15);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.closed) return;
    const tasks = [...this.pendingTasks];
    // The watcher's own strings, not slices of a joined key that each entry would keep alive.
    const runs = [...this.pendingRuns];
    this.pendingTasks.clear();
    this.pendingRuns.clear();
    for (const key of tasks) {
      const [projectId = '', taskId = ''] = key.split('/');
      this.refreshTask(projectId, taskId);
    }
    for (const [runDir, taskKey] of runs) this.loadRun(runDir, taskKey, true);
  }

  private publish(event: IndexEvent): void {
    this.seq += 1;
    event.seq = this.seq;
    this.backlog.push(event);
    if (this.backlog.length > this.backlogSize)
      this.backlog.splice(0, this.backlog.length - this.backlogSize);
    this.emitter.emit('event', event);
  }
}

/** Whether a re-read task differs in anything the API shows. */
/**
 * A copy whose strings are the index's own: YAML parsing yields slices of the file's text, so
 * keeping the parsed object would keep each whole run-info.yaml / TASK-LOOP.yaml in memory.
 */
function ownCopy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function taskChanged(a: TaskEntry, b: TaskEntry): boolean {
  return (
    a.done !== b.done ||
    a.runIds.length !== b.runIds.length ||
    a.runIds[a.runIds.length - 1] !== b.runIds[b.runIds.length - 1] ||
    a.loop?.status !== b.loop?.status ||
    a.loop?.updated_at !== b.loop?.updated_at ||
    a.dependsOn.join(',') !== b.dependsOn.join(',')
  );
}

/** Bus appends, temp files and lock files change nothing the index shows. */
function notBusOrTemp(name: string): boolean {
  return !name.includes('MESSAGE-BUS.md') && !name.endsWith('.tmp') && !name.endsWith('.lock');
}

function isRunInfo(name: string): boolean {
  return name === FILES.runInfo;
}

function birthOrMtime(path: string): number {
  try {
    const s = statSync(path);
    return s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs;
  } catch {
    return Date.now();
  }
}
