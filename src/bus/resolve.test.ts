import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverBus, projectBusPath, scopeOfBusPath, taskBusPath } from './paths.js';
import { resolveBus, resolvePostScope } from './resolve.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-resolve-'));
  root = join(dir, 'runs');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const touch = (path: string): string => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
  return path;
};

describe('bus paths', () => {
  it('builds project and task bus paths from validated ids', () => {
    expect(projectBusPath(root, 'demo')).toBe(join(root, 'demo', 'PROJECT-MESSAGE-BUS.md'));
    expect(taskBusPath(root, 'demo', 't1')).toBe(join(root, 'demo', 't1', 'TASK-MESSAGE-BUS.md'));
    expect(() => taskBusPath(root, 'demo', '../t')).toThrow(/invalid task id/);
    expect(() => projectBusPath(root, '..')).toThrow(/invalid project id/);
  });

  it('discovers upward: TASK before PROJECT before MESSAGE-BUS.md in each folder', () => {
    const deep = join(root, 'demo', 't1', 'run-1', 'sub');
    mkdirSync(deep, { recursive: true });
    expect(discoverBus(deep)).toBeUndefined();
    const legacy = touch(join(root, 'demo', 't1', 'MESSAGE-BUS.md'));
    expect(discoverBus(deep)).toBe(legacy);
    touch(join(root, 'demo', 't1', 'PROJECT-MESSAGE-BUS.md'));
    const task = touch(join(root, 'demo', 't1', 'TASK-MESSAGE-BUS.md'));
    expect(discoverBus(deep)).toBe(task);
  });

  it('infers ids from where a bus file sits', () => {
    expect(scopeOfBusPath(taskBusPath(root, 'demo', 't1'))).toEqual({
      projectId: 'demo',
      taskId: 't1',
    });
    expect(scopeOfBusPath(projectBusPath(root, 'demo'))).toEqual({ projectId: 'demo' });
    expect(scopeOfBusPath(join(dir, 'MESSAGE-BUS.md'))).toEqual({});
  });
});

describe('resolveBus', () => {
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...extra });

  it('uses --project/--task under the root', () => {
    expect(resolveBus('read', { root, projectId: 'demo', env: env(), cwd: dir })).toMatchObject({
      path: projectBusPath(root, 'demo'),
      source: 'flags',
    });
    expect(
      resolveBus('read', { root, projectId: 'demo', taskId: 't1', env: env(), cwd: dir }).path,
    ).toBe(taskBusPath(root, 'demo', 't1'));
    // Default root: CONDUCTOR_ROOT, else ./runs in the working folder.
    expect(resolveBus('read', { projectId: 'demo', env: env(), cwd: dir }).path).toBe(
      projectBusPath(root, 'demo'),
    );
    expect(
      resolveBus('read', {
        projectId: 'demo',
        env: env({ CONDUCTOR_ROOT: join(dir, 'other') }),
        cwd: dir,
      }).path,
    ).toBe(projectBusPath(join(dir, 'other'), 'demo'));
  });

  it('--task without a project needs JRUN_PROJECT_ID', () => {
    expect(() => resolveBus('read', { taskId: 't1', env: env(), cwd: dir })).toThrow(
      /--task needs --project/,
    );
    expect(
      resolveBus('read', { root, taskId: 't1', env: env({ JRUN_PROJECT_ID: 'p' }), cwd: dir }).path,
    ).toBe(taskBusPath(root, 'p', 't1'));
  });

  it('post prefers JRUN_MESSAGE_BUS over flags; read prefers flags', () => {
    const envBus = join(dir, 'x', 'TASK-MESSAGE-BUS.md');
    const input = { root, projectId: 'demo', env: env({ JRUN_MESSAGE_BUS: envBus }), cwd: dir };
    expect(resolveBus('post', input)).toMatchObject({ path: envBus, source: 'JRUN_MESSAGE_BUS' });
    expect(resolveBus('read', input)).toMatchObject({
      path: projectBusPath(root, 'demo'),
      source: 'flags',
    });
  });

  it('uses the run context: JRUN_RUN_FOLDER (both layouts), JRUN_TASK_FOLDER, run-info.yaml in cwd', () => {
    const seedRun = join(root, 'demo', 't1', '20260101-0000000000-1-1');
    mkdirSync(seedRun, { recursive: true });
    expect(resolveBus('post', { env: env({ JRUN_RUN_FOLDER: seedRun }), cwd: dir })).toMatchObject({
      path: taskBusPath(root, 'demo', 't1'),
      source: 'JRUN_RUN_FOLDER',
      projectId: 'demo',
      taskId: 't1',
      runId: '20260101-0000000000-1-1',
    });
    const refRun = join(root, 'demo', 't2', 'runs', 'r2');
    mkdirSync(refRun, { recursive: true });
    expect(resolveBus('post', { env: env({ JRUN_RUN_FOLDER: refRun }), cwd: dir }).path).toBe(
      taskBusPath(root, 'demo', 't2'),
    );
    expect(
      resolveBus('read', { env: env({ JRUN_TASK_FOLDER: join(root, 'demo', 't3') }), cwd: dir })
        .path,
    ).toBe(taskBusPath(root, 'demo', 't3'));
    writeFileSync(join(refRun, 'run-info.yaml'), 'run_id: r2\nproject_id: demo\ntask_id: t2\n');
    expect(resolveBus('read', { env: env(), cwd: refRun })).toMatchObject({
      path: taskBusPath(root, 'demo', 't2'),
      source: 'run-info.yaml',
      runId: 'r2',
    });
  });

  it('recognises a project folder by its task-id folders, then falls back to discovery', () => {
    const project = join(root, 'demo');
    mkdirSync(join(project, 'task-20260101-000000-build'), { recursive: true });
    expect(resolveBus('post', { env: env(), cwd: project })).toMatchObject({
      path: projectBusPath(root, 'demo'),
      source: 'project home',
      projectId: 'demo',
    });
    const other = join(dir, 'work', 'deep');
    mkdirSync(other, { recursive: true });
    expect(() => resolveBus('read', { env: env(), cwd: other })).toThrow(/no message bus found/);
    const found = touch(join(dir, 'work', 'MESSAGE-BUS.md'));
    expect(resolveBus('read', { env: env(), cwd: other })).toMatchObject({
      path: found,
      source: 'discovery',
    });
  });
});

describe('resolvePostScope', () => {
  it('takes flags, then the bus location, then JRUN_* ids; a project is required', () => {
    const bus = {
      path: taskBusPath(root, 'demo', 't1'),
      source: 'JRUN_MESSAGE_BUS' as const,
      projectId: 'demo',
      taskId: 't1',
    };
    const jrun = { JRUN_PROJECT_ID: 'envp', JRUN_TASK_ID: 'envt', JRUN_ID: 'envr' };
    expect(resolvePostScope(bus, { env: jrun })).toEqual({
      project_id: 'demo',
      task_id: 't1',
      run_id: 'envr',
    });
    expect(
      resolvePostScope(bus, { projectId: 'p2', taskId: 't2', runId: 'r2', env: jrun }),
    ).toEqual({
      project_id: 'p2',
      task_id: 't2',
      run_id: 'r2',
    });
    const bare = { path: join(dir, 'MESSAGE-BUS.md'), source: 'discovery' as const };
    expect(resolvePostScope(bare, { env: jrun })).toEqual({
      project_id: 'envp',
      task_id: 'envt',
      run_id: 'envr',
    });
    expect(() => resolvePostScope(bare, { env: {} })).toThrow(/project id is required/);
  });
});
