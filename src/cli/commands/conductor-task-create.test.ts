import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROJECT_ID, buildCreateRequest } from './conductor-task-create.js';

let dir: string;
const savedProject = process.env.JRUN_PROJECT_ID;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'task-create-'));
  delete process.env.JRUN_PROJECT_ID;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedProject === undefined) delete process.env.JRUN_PROJECT_ID;
  else process.env.JRUN_PROJECT_ID = savedProject;
});

describe('buildCreateRequest', () => {
  it('maps every flag to the API body (seconds for the timeout, absolute cwd)', () => {
    const file = join(dir, 'p.md');
    writeFileSync(file, '# Prompt\n');
    expect(
      buildCreateRequest({
        projectId: 'proj',
        taskId: 't1',
        agent: 'codex',
        promptFile: file,
        cwd: dir,
        dependsOn: ['a', 'b'],
        timeout: '1m30s',
        maxRestarts: '4',
      }),
    ).toEqual({
      project_id: 'proj',
      task_id: 't1',
      agent: 'codex',
      prompt: '# Prompt\n',
      cwd: dir,
      depends_on: ['a', 'b'],
      timeout: 90,
      max_restarts: 4,
    });
  });

  it('accepts the reference spellings and defaults the project', () => {
    expect(
      buildCreateRequest({ project: 'p2', task: 't2', agentType: 'claude', prompt: 'hi' }),
    ).toEqual({
      project_id: 'p2',
      task_id: 't2',
      agent: 'claude',
      prompt: 'hi',
    });
    expect(buildCreateRequest({ prompt: 'hi' }).project_id).toBe(DEFAULT_PROJECT_ID);
    process.env.JRUN_PROJECT_ID = 'from-env';
    expect(buildCreateRequest({ prompt: 'hi' }).project_id).toBe('from-env');
  });

  it.each([
    [{}, 'a prompt is required: use --prompt TEXT or --prompt-file FILE'],
    [{ prompt: 'a', promptFile: 'b' }, 'give either --prompt or --prompt-file, not both'],
    [{ prompt: 'a', maxRestarts: '-1' }, 'invalid --max-restarts "-1": expected an integer >= 0'],
    [
      { prompt: 'a', taskId: 'a/b' },
      `invalid task id "a/b": must not contain '/' or '\\' (it would leave the runs root)`,
    ],
    [{ prompt: 'a', timeout: '0' }, '--timeout must be more than 0 seconds'],
  ])('rejects %j', (flags, message) => {
    expect(() => buildCreateRequest(flags)).toThrow(message);
  });

  it('rejects an empty prompt file', () => {
    const file = join(dir, 'empty.md');
    writeFileSync(file, '\n');
    expect(() => buildCreateRequest({ promptFile: file })).toThrow(`prompt file ${file} is empty`);
  });
});
