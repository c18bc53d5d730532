/**
 * The reference implementation's routes (compat.md §9) with its response shapes, so its
 * web UI and scripts work against this server. Same operations as the v1 routes.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { parseProjectId, parseRunId } from '../../core/ids.js';
import { FILES } from '../../core/layout.js';
import type { ServerContext } from '../context.js';
import type { RunEntry, TaskEntry } from '../run-index.js';
import { deleteTask, getTask, taskPrompt, auditTask } from '../task-service.js';
import {
  blockedBy,
  lastActivity,
  queuePositions,
  referenceRun,
  referenceTaskStatus,
  taskQueuePosition,
} from '../views.js';
import { refuseFromWebUi, resumeTask } from './tasks.js';
import { pageSchema, parseQuery } from './parse.js';
import { findRun } from './runs.js';

const FILE_LABELS: [string, string, string][] = [
  ['output.md', 'output', FILES.output],
  ['stdout', 'stdout', FILES.stdout],
  ['stderr', 'stderr', FILES.stderr],
  ['prompt', 'prompt', FILES.prompt],
];

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function runFiles(run: RunEntry): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [name, label, file] of FILE_LABELS) {
    const size = sizeOf(join(run.runDir, file));
    if (size !== undefined) out.push({ name, label, size });
  }
  return out;
}

/** The project's home folder from PROJECT-ROOT.txt ('' when it has none). */
export function projectRoot(ctx: ServerContext, projectId: string): string {
  try {
    return readFileSync(join(ctx.root, projectId, FILES.projectRoot), 'utf8').trim();
  } catch {
    return '';
  }
}

function projectEntry(ctx: ServerContext, projectId: string): { tasks: TaskEntry[] } {
  parseProjectId(projectId);
  const project = ctx.index.projects.get(projectId);
  if (project === undefined) throw new NotFoundError('project not found');
  const tasks = [...project.tasks]
    .sort()
    .map((id) => ctx.index.task(projectId, id))
    .filter((t): t is TaskEntry => t !== undefined);
  return { tasks };
}

function projectActivity(ctx: ServerContext, tasks: TaskEntry[]): string {
  let last = '';
  for (const task of tasks) {
    const a = lastActivity(task, ctx.index.runsOfTask(task));
    if (a > last) last = a;
  }
  return last;
}

function fileJson(path: string, name: string): Record<string, unknown> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new NotFoundError(`file not found: ${name}`);
  }
  if (stat.size > 16 * 1024 * 1024)
    throw new ValidationError(`${name} is too large; use /api/v1/runs/{run}/files`);
  return {
    content: readFileSync(path, 'utf8'),
    modified: stat.mtime.toISOString(),
    name,
    size_bytes: stat.size,
  };
}

function taskRun(ctx: ServerContext, task: TaskEntry, runId: string): RunEntry {
  parseRunId(runId);
  const run = ctx.index.runs.get(runId);
  if (run === undefined || run.taskKey !== `${task.projectId}/${task.taskId}`) {
    throw new NotFoundError('run not found');
  }
  return run;
}

type P = { Params: { p: string } };
type PT = { Params: { p: string; t: string } };
type PTR = { Params: { p: string; t: string; r: string } };

const nameQuery = z.object({ name: z.string().max(100).optional() });

export function registerReferenceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // ---- /api/v1/tasks?project_id= ----
  const projectQuery = z.object({ project_id: z.string().min(1).max(200) });
  app.get('/api/v1/tasks', (request) => {
    const { project_id } = parseQuery(projectQuery, request.query);
    const { tasks } = projectEntry(ctx, project_id);
    const positions = queuePositions(ctx.index);
    return {
      tasks: tasks.map((task) => {
        const out: Record<string, unknown> = {
          project_id: task.projectId,
          task_id: task.taskId,
          status: referenceTaskStatus(ctx.index, task),
          last_activity: lastActivity(task, ctx.index.runsOfTask(task)),
        };
        const position = taskQueuePosition(ctx.index, ctx.index.latestRun(task), positions);
        if (position !== undefined) out.queue_position = position;
        if (task.dependsOn.length > 0) out.depends_on = task.dependsOn;
        const blocked = blockedBy(ctx.index, task);
        if (blocked.length > 0) out.blocked_by = blocked;
        return out;
      }),
    };
  });
  app.get<{ Params: { t: string } }>('/api/v1/tasks/:t', (request) => {
    const { project_id } = parseQuery(projectQuery, request.query);
    return taskDetail(getTask(ctx, project_id, request.params.t));
  });
  app.delete<{ Params: { t: string } }>('/api/v1/tasks/:t', async (request, reply) => {
    refuseFromWebUi(request);
    const { project_id } = parseQuery(projectQuery, request.query);
    const task = getTask(ctx, project_id, request.params.t);
    await deleteTask(ctx, task);
    auditTask(ctx, request, 'task.delete', task);
    return reply.code(204).send();
  });

  // ---- /api/projects ----
  app.get('/api/projects', () => ({
    projects: [...ctx.index.projects.keys()].sort().map((id) => {
      const { tasks } = projectEntry(ctx, id);
      return {
        id,
        last_activity: projectActivity(ctx, tasks),
        task_count: tasks.length,
        project_root: projectRoot(ctx, id),
      };
    }),
  }));

  app.get<P>('/api/projects/:p', (request) => {
    const { tasks } = projectEntry(ctx, request.params.p);
    return {
      id: request.params.p,
      last_activity: projectActivity(ctx, tasks),
      project_root: projectRoot(ctx, request.params.p),
      task_count: tasks.length,
    };
  });

  app.get<P>('/api/projects/:p/stats', (request) => {
    const projectId = request.params.p;
    const { tasks } = projectEntry(ctx, projectId);
    const counts = { total: 0, running: 0, completed: 0, failed: 0, crashed: 0 };
    const busFiles: string[] = [join(ctx.root, projectId, FILES.projectBus)];
    for (const task of tasks) {
      busFiles.push(join(task.dir, FILES.taskBus));
      for (const run of ctx.index.runsOfTask(task)) {
        counts.total++;
        const s = run.info.status;
        if (s === 'running') counts.running++;
        else if (s === 'completed') counts.completed++;
        else if (s === 'crashed') counts.crashed++;
        else if (s === 'failed' || s === 'timeout' || s === 'stopped') counts.failed++;
      }
    }
    const sizes = busFiles.map(sizeOf).filter((s): s is number => s !== undefined);
    return {
      project_id: projectId,
      total_tasks: tasks.length,
      total_runs: counts.total,
      running_runs: counts.running,
      completed_runs: counts.completed,
      failed_runs: counts.failed,
      crashed_runs: counts.crashed,
      message_bus_files: sizes.length,
      message_bus_total_bytes: sizes.reduce((a, b) => a + b, 0),
    };
  });

  app.get<P>('/api/projects/:p/runs/flat', (request) => {
    const { tasks } = projectEntry(ctx, request.params.p);
    const runs: Record<string, unknown>[] = [];
    for (const task of tasks) {
      for (const run of ctx.index.runsOfTask(task)) {
        const r = referenceRun(run);
        runs.push({
          id: r.id,
          task_id: task.taskId,
          agent: r.agent,
          status: r.status,
          exit_code: r.exit_code,
          start_time: r.start_time,
          ...(r.end_time !== undefined ? { end_time: r.end_time } : {}),
          ...(r.parent_run_id !== undefined ? { parent_run_id: r.parent_run_id } : {}),
          ...(r.previous_run_id !== undefined ? { previous_run_id: r.previous_run_id } : {}),
        });
      }
    }
    return { runs };
  });

  const statusFilter = pageSchema.extend({ status: z.string().max(200).optional() });
  app.get<P>('/api/projects/:p/tasks', (request) => {
    const q = parseQuery(statusFilter, request.query);
    const { tasks } = projectEntry(ctx, request.params.p);
    const positions = queuePositions(ctx.index);
    const items = tasks
      .map((task) => taskItem(task, positions))
      .filter((t) => q.status === undefined || t.status === q.status);
    return {
      items: items.slice(q.offset, q.offset + q.limit),
      total: items.length,
      limit: q.limit,
      offset: q.offset,
      has_more: q.offset + q.limit < items.length,
    };
  });

  app.get<PT>('/api/projects/:p/tasks/:t', (request) => {
    projectEntry(ctx, request.params.p);
    return taskDetail(getTask(ctx, request.params.p, request.params.t));
  });

  app.delete<PT>('/api/projects/:p/tasks/:t', async (request, reply) => {
    refuseFromWebUi(request);
    const task = getTask(ctx, request.params.p, request.params.t);
    await deleteTask(ctx, task);
    auditTask(ctx, request, 'task.delete', task);
    return reply.code(204).send();
  });

  app.get<PT>('/api/projects/:p/tasks/:t/file', (request) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    const { name } = parseQuery(nameQuery, request.query);
    if (name !== FILES.taskPrompt) throw new NotFoundError(`unknown task file: ${name ?? ''}`);
    return fileJson(join(task.dir, FILES.taskPrompt), FILES.taskPrompt);
  });

  app.post<PT>('/api/projects/:p/tasks/:t/resume', async (request, reply) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    await resumeTask(ctx, request, task);
    return reply
      .code(202)
      .send(taskDetail(ctx.index.refreshTask(task.projectId, task.taskId) ?? task));
  });

  const runsQuery = pageSchema.extend({ include_files: z.string().optional() });
  app.get<PT>('/api/projects/:p/tasks/:t/runs', (request) => {
    const q = parseQuery(runsQuery, request.query);
    const task = getTask(ctx, request.params.p, request.params.t);
    const runs = ctx.index.runsOfTask(task).reverse();
    return {
      items: runs.slice(q.offset, q.offset + q.limit).map((r) => referenceRun(r, runFiles(r))),
      total: runs.length,
      limit: q.limit,
      offset: q.offset,
      has_more: q.offset + q.limit < runs.length,
    };
  });

  app.get<PTR>('/api/projects/:p/tasks/:t/runs/:r', (request) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    const run = taskRun(ctx, task, request.params.r);
    return referenceRun(run, runFiles(run));
  });

  app.get<PTR>('/api/projects/:p/tasks/:t/runs/:r/file', (request) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    const run = taskRun(ctx, task, request.params.r);
    const { name } = parseQuery(nameQuery, request.query);
    const entry = FILE_LABELS.find(([n, label]) => n === name || label === name);
    if (entry === undefined) throw new NotFoundError(`unknown run file: ${name ?? ''}`);
    return fileJson(join(run.runDir, entry[2]), entry[0]);
  });

  app.get<PTR>('/api/projects/:p/tasks/:t/runs/:r/stream', async (request, reply) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    const run = taskRun(ctx, task, request.params.r);
    // Same stream as /api/v1/runs/{run}/stream.
    return reply.redirect(`/api/v1/runs/${encodeURIComponent(run.info.run_id)}/stream`, 307);
  });

  app.post<PTR>('/api/projects/:p/tasks/:t/runs/:r/stop', async (request, reply) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    const run = taskRun(ctx, task, request.params.r);
    findRun(ctx, run.info.run_id);
    return reply.redirect(`/api/v1/runs/${encodeURIComponent(run.info.run_id)}/stop`, 307);
  });

  function taskItem(
    task: TaskEntry,
    positions: Map<string, number>,
  ): Record<string, unknown> & { status: string } {
    const runs = ctx.index.runsOfTask(task);
    const latest = runs[runs.length - 1];
    const position = taskQueuePosition(ctx.index, latest, positions);
    const runCounts: Record<string, number> = {};
    for (const r of runs) runCounts[r.info.status] = (runCounts[r.info.status] ?? 0) + 1;
    const blocked = blockedBy(ctx.index, task);
    return {
      blocked_by: blocked.length > 0 ? blocked : null,
      depends_on: task.dependsOn.length > 0 ? task.dependsOn : null,
      done: task.done,
      id: task.taskId,
      last_activity: lastActivity(task, runs),
      ...(latest !== undefined
        ? {
            last_run_exit_code: latest.info.exit_code,
            last_run_output_size: sizeOf(join(latest.runDir, FILES.stdout)) ?? 0,
            last_run_status: latest.info.status,
          }
        : {}),
      project_id: task.projectId,
      ...(position !== undefined ? { queue_position: position } : {}),
      run_count: runs.length,
      run_counts: runCounts,
      status: referenceTaskStatus(ctx.index, task),
      thread_parent: null,
    };
  }

  function taskDetail(task: TaskEntry): Record<string, unknown> {
    const runs = ctx.index.runsOfTask(task);
    return {
      id: task.taskId,
      project_id: task.projectId,
      status: referenceTaskStatus(ctx.index, task),
      last_activity: lastActivity(task, runs),
      created_at: runs[0]?.info.start_time ?? task.createdAt,
      done: task.done,
      state: task.done ? 'done' : (task.loop?.status ?? 'idle'),
      prompt: taskPrompt(task),
      runs: runs.map((r) => referenceRun(r, runFiles(r))),
    };
  }
}
