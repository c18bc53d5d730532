/** docs/api.md task routes: create, list, show, stop, resume, delete; projects list. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { generateTaskId, parseProjectId, parseTaskId } from '../../core/ids.js';
import { resolveInside } from '../../core/layout.js';
import { readFileSync } from 'node:fs';
import { selectAgent } from '../../runner/agent-select.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http-errors.js';
import type { TaskEntry } from '../run-index.js';
import {
  auditTask,
  clearForResume,
  deleteTask,
  getTask,
  isTaskActive,
  launchLoop,
  prepareTask,
  stopTask,
  taskPrompt,
} from '../task-service.js';
import {
  lastActivity,
  queuePositions,
  runSummary,
  taskQueuePosition,
  taskSummary,
} from '../views.js';
import { pageSchema, parseBody, parseQuery } from './parse.js';

const idText = z.string().min(1).max(200);

export const createBody = z.object({
  project_id: idText,
  task_id: idText.optional(),
  agent: z.string().min(1).max(128).optional(),
  agent_type: z.string().min(1).max(128).optional(),
  prompt: z.string().max(1_000_000).optional(),
  prompt_file: z.string().max(4096).optional(),
  cwd: z.string().max(4096).optional(),
  project_root: z.string().max(4096).optional(),
  depends_on: z.array(idText).max(100).optional(),
  timeout: z
    .number()
    .positive()
    .max(7 * 24 * 3600)
    .optional(),
  max_restarts: z.number().int().min(0).max(10_000).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  attach_mode: z.enum(['create', 'attach', 'resume']).optional(),
});

export type CreateBody = z.infer<typeof createBody>;

const listQuery = pageSchema.extend({
  status: z.string().max(200).optional(),
  agent: z.string().max(128).optional(),
  q: z.string().max(200).optional(),
});

export function activeTasksOf(ctx: ServerContext, user: string): number {
  const keys = ctx.tasksByUser.get(user);
  if (keys === undefined) return 0;
  let active = 0;
  for (const key of [...keys]) {
    const task = ctx.index.tasks.get(key);
    if (task !== undefined && isTaskActive(ctx, task)) active++;
    else keys.delete(key);
  }
  return active;
}

/** Create a task and start its loop: shared by `POST /api/v1/tasks` (both dialects). */
export async function createTask(
  ctx: ServerContext,
  request: FastifyRequest,
  body: CreateBody,
): Promise<Record<string, unknown>> {
  const projectId = parseProjectId(body.project_id);
  const taskId =
    body.task_id !== undefined ? parseTaskId(body.task_id) : generateTaskId(body.prompt);
  const dependsOn = (body.depends_on ?? []).map((d) => parseTaskId(d));
  let prompt = body.prompt;
  if (prompt === undefined && body.prompt_file !== undefined) {
    // Only files under the runs root: the API must not read arbitrary server files.
    const path = resolveInside(ctx.root, body.prompt_file, 'prompt_file');
    try {
      prompt = readFileSync(path, 'utf8');
    } catch {
      throw new ValidationError(`cannot read prompt_file ${JSON.stringify(body.prompt_file)}`);
    }
  }
  if (prompt === undefined || prompt.trim() === '') throw new ValidationError('prompt is required');
  const agent = selectAgent(body.agent ?? body.agent_type, ctx.config);
  const existing = ctx.index.task(projectId, taskId) ?? ctx.index.refreshTask(projectId, taskId);
  if (existing !== undefined && isTaskActive(ctx, existing)) {
    throw new HttpError(409, 'CONFLICT', `task ${taskId} already exists and is running`);
  }
  ctx.limiter.consume(
    ctx.auth.enabled ? request.user : undefined,
    agent.name,
    activeTasksOf(ctx, request.user),
  );
  const cwd = body.cwd ?? body.project_root;
  prepareTask(ctx, { projectId, taskId, agent, prompt });
  ctx.metrics.tasksCreated.inc();
  auditTask(ctx, request, 'task.create', { projectId, taskId }, agent.name);
  const key = `${projectId}/${taskId}`;
  let users = ctx.tasksByUser.get(request.user);
  if (users === undefined) ctx.tasksByUser.set(request.user, (users = new Set()));
  users.add(key);
  if (ctx.options.disableTaskStart === true) {
    ctx.index.refreshTask(projectId, taskId);
    return { project_id: projectId, task_id: taskId, status: 'created' };
  }
  const started = await launchLoop(ctx, {
    projectId,
    taskId,
    agent,
    prompt,
    cwd,
    dependsOn,
    timeoutMs: body.timeout !== undefined ? body.timeout * 1000 : undefined,
    maxRestarts: body.max_restarts,
  });
  const out: Record<string, unknown> = {
    project_id: projectId,
    task_id: taskId,
    status: started.status,
  };
  if (started.runId !== undefined) out.run_id = started.runId;
  if (started.status === 'queued' && started.runId !== undefined) {
    const task = ctx.index.task(projectId, taskId);
    const latest = task !== undefined ? ctx.index.latestRun(task) : undefined;
    const position = taskQueuePosition(ctx.index, latest);
    if (position !== undefined) out.queue_position = position;
  }
  if (dependsOn.length > 0) out.depends_on = dependsOn;
  return out;
}

export async function resumeTask(
  ctx: ServerContext,
  request: FastifyRequest,
  task: TaskEntry,
): Promise<void> {
  if (isTaskActive(ctx, task))
    throw new HttpError(409, 'CONFLICT', `task ${task.taskId} is running`);
  const runs = ctx.index.runsOfTask(task);
  const agentName =
    task.loop?.agent ?? runs[runs.length - 1]?.info.agent_name ?? runs[runs.length - 1]?.info.agent;
  const agent = selectAgent(agentName, ctx.config);
  clearForResume(task);
  auditTask(ctx, request, 'task.resume', task, agent.name);
  if (ctx.options.disableTaskStart === true) return;
  await launchLoop(ctx, {
    projectId: task.projectId,
    taskId: task.taskId,
    agent,
    prompt: taskPrompt(task),
    dependsOn: task.dependsOn,
    maxRestarts: 3,
    resume: true,
  });
}

export function refuseFromWebUi(request: FastifyRequest): void {
  if (request.headers['x-conductor-client'] === 'web-ui') {
    throw new HttpError(403, 'FORBIDDEN', 'destructive operations are not allowed from the web UI');
  }
}

type TaskParams = { Params: { p: string; t: string } };

export function registerTaskRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/v1/tasks', async (request, reply) => {
    const body = parseBody(createBody, request.body);
    return reply.code(201).send(await createTask(ctx, request, body));
  });

  app.get('/api/v1/projects', () => {
    const projects = [...ctx.index.projects.values()]
      .sort((a, b) => (a.projectId < b.projectId ? -1 : 1))
      .map((project) => {
        let runCount = 0;
        let running = 0;
        let last = '';
        for (const taskId of project.tasks) {
          const task = ctx.index.task(project.projectId, taskId);
          if (task === undefined) continue;
          const runs = ctx.index.runsOfTask(task);
          runCount += runs.length;
          running += runs.filter((r) => r.info.status === 'running').length;
          const activity = lastActivity(task, runs);
          if (activity > last) last = activity;
        }
        return {
          project_id: project.projectId,
          task_count: project.tasks.size,
          run_count: runCount,
          running_count: running,
          last_activity: last || null,
        };
      });
    return { projects };
  });

  app.get<{ Params: { p: string } }>('/api/v1/projects/:p/tasks', (request) => {
    const projectId = parseProjectId(request.params.p);
    const q = parseQuery(listQuery, request.query);
    const project = ctx.index.projects.get(projectId);
    if (project === undefined) throw new HttpError(404, 'NOT_FOUND', 'project not found');
    const statuses = q.status !== undefined ? new Set(q.status.split(',')) : undefined;
    const positions = queuePositions(ctx.index);
    const tasks = [...project.tasks]
      .sort()
      .map((id) => ctx.index.task(projectId, id))
      .filter((t): t is TaskEntry => t !== undefined)
      .map((t) => taskSummary(ctx.index, t, positions))
      .filter((s) => statuses === undefined || statuses.has(s.status as string))
      .filter((s) => q.agent === undefined || s.agent === q.agent)
      .filter((s) => q.q === undefined || (s.task_id as string).includes(q.q));
    const page = tasks.slice(q.offset, q.offset + q.limit);
    return {
      tasks: page,
      total: tasks.length,
      limit: q.limit,
      offset: q.offset,
      has_more: q.offset + q.limit < tasks.length,
    };
  });

  app.get<TaskParams>('/api/v1/projects/:p/tasks/:t', (request) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    return {
      ...taskSummary(ctx.index, task),
      prompt: taskPrompt(task),
      runs: ctx.index.runsOfTask(task).map((r) => runSummary(r.info)),
    };
  });

  app.post<TaskParams>('/api/v1/projects/:p/tasks/:t/stop', async (request, reply) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    auditTask(ctx, request, 'task.stop', task);
    const stopped = await stopTask(ctx, task);
    return reply.code(202).send({ stopped_runs: stopped });
  });

  app.post<TaskParams>('/api/v1/projects/:p/tasks/:t/resume', async (request, reply) => {
    const task = getTask(ctx, request.params.p, request.params.t);
    await resumeTask(ctx, request, task);
    const fresh = ctx.index.refreshTask(task.projectId, task.taskId) ?? task;
    return reply.code(202).send(taskSummary(ctx.index, fresh));
  });

  app.delete<TaskParams>('/api/v1/projects/:p/tasks/:t', async (request, reply) => {
    refuseFromWebUi(request);
    const task = getTask(ctx, request.params.p, request.params.t);
    await deleteTask(ctx, task);
    auditTask(ctx, request, 'task.delete', task);
    return reply.code(204).send();
  });
}
