import { describe, expect, it } from 'vitest';
import { selfBinDir } from '../core/self.js';
import { buildRunEnv, prependPath } from './run-env.js';

const ctx = {
  root: '/r',
  projectId: 'p',
  taskId: 't',
  runId: 'run-2',
  runsDir: '/r/p/t',
  busPath: '/r/p/t/TASK-MESSAGE-BUS.md',
  taskDir: '/r/p/t',
  runDir: '/r/p/t/run-2',
};

describe('buildRunEnv', () => {
  it('sets the JRUN_* contract, CONDUCTOR_ROOT and our bin folder first on PATH', () => {
    const env = buildRunEnv(ctx, { PATH: '/usr/bin:/bin', HOME: '/home/me' });
    expect(env).toMatchObject({
      JRUN_PROJECT_ID: 'p',
      JRUN_TASK_ID: 't',
      JRUN_ID: 'run-2',
      JRUN_PARENT_ID: '',
      JRUN_RUNS_DIR: '/r/p/t',
      JRUN_MESSAGE_BUS: '/r/p/t/TASK-MESSAGE-BUS.md',
      JRUN_TASK_FOLDER: '/r/p/t',
      JRUN_RUN_FOLDER: '/r/p/t/run-2',
      CONDUCTOR_ROOT: '/r',
      HOME: '/home/me',
      PATH: `${selfBinDir()}:/usr/bin:/bin`,
    });
    expect(env.JRUN_CONDUCTOR_URL).toBeUndefined();
  });

  it("replaces an enclosing run's ids and URL", () => {
    const env = buildRunEnv(
      { ...ctx, parentRunId: 'run-1', conductorUrl: 'http://127.0.0.1:8080' },
      { JRUN_ID: 'run-1', JRUN_CONDUCTOR_URL: 'http://old', PATH: '' },
    );
    expect(env.JRUN_ID).toBe('run-2');
    expect(env.JRUN_PARENT_ID).toBe('run-1');
    expect(env.JRUN_CONDUCTOR_URL).toBe('http://127.0.0.1:8080');
  });

  it('does not add our bin folder twice', () => {
    expect(prependPath('/a:/b', '/b')).toBe('/a:/b');
    expect(prependPath(undefined, '/b')).toBe('/b');
  });
});
