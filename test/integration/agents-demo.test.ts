/**
 * `run-agent __demo-agent` as a real process in a temp task folder: readable progress over
 * about a second, output.md with a Summary of the files the prompt names, DONE, exit 0; the
 * DEMO_* keywords exercise failure exits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBackend } from '../../src/runner/agents/index.js';
import { RUN_AGENT_FROM_SOURCE, runProcess, waitFor } from '../fixtures/agents/process-helper.js';

let cwd: string;
let taskDir: string;
let runDir: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'agents-demo-'));
  taskDir = join(cwd, 'runs', 'demo', 'task-1');
  runDir = join(taskDir, 'run-1');
  mkdirSync(runDir, { recursive: true });
  mkdirSync(join(cwd, 'src'));
  writeFileSync(join(cwd, 'README.md'), '# hi\n');
  writeFileSync(join(cwd, 'src', 'app.ts'), 'export {};\n');
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const PREAMBLE =
  'JRUN_TASK_FOLDER=/x\nWrite output.md to /x/output.md\n## Completion\nCreate DONE.\n\n---\n\n';

function demo(prompt: string) {
  return runProcess([...RUN_AGENT_FROM_SOURCE, '__demo-agent'], {
    stdinText: prompt,
    cwd,
    env: { PATH: process.env.PATH, JRUN_RUN_FOLDER: runDir, JRUN_TASK_FOLDER: taskDir },
  });
}

describe('demo agent', () => {
  it('checks the files the prompt names, writes output.md with a Summary, creates DONE, exits 0', async () => {
    let chunks = 0;
    const started = Date.now();
    const r = await runProcess([...RUN_AGENT_FROM_SOURCE, '__demo-agent'], {
      stdinText: `${PREAMBLE}Review README.md, src/app.ts and docs/missing.md (see https://example.org/x.html).\n`,
      cwd,
      env: { PATH: process.env.PATH, JRUN_RUN_FOLDER: runDir, JRUN_TASK_FOLDER: taskDir },
      onStdout: () => chunks++,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toContain('found   README.md');
    expect(r.stdout).toContain('found   src/app.ts');
    expect(r.stdout).toContain('missing docs/missing.md');
    const output = readFileSync(join(runDir, 'output.md'), 'utf8');
    expect(output).toContain('## Summary');
    expect(output).toContain('Checked 3 file name(s) mentioned in the prompt: 2 found, 1 missing.');
    expect(output).toContain('- `docs/missing.md`: missing');
    expect(output).not.toContain('output.md'); // preamble is not the user's prompt
    expect(existsSync(join(taskDir, 'DONE'))).toBe(true);
    const summary = getBackend('demo').summarize({ stdout: r.stdout, stderr: r.stderr, runDir });
    expect(summary.finalText).toContain('demo agent: done.');
  });

  it('DEMO_FAIL exits 1 and DEMO_PERMANENT exits 2, one error line, no DONE', async () => {
    const fail = await demo(`${PREAMBLE}please DEMO_FAIL`);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toBe('Error: demo agent: DEMO_FAIL requested\n');
    const permanent = await demo(`${PREAMBLE}DEMO_PERMANENT`);
    expect(permanent.code).toBe(2);
    expect(permanent.stderr).toBe('Error: demo agent: DEMO_PERMANENT requested\n');
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
    expect(existsSync(join(runDir, 'output.md'))).toBe(false);
  });

  it('works without run/task folders (prints only)', async () => {
    const r = await runProcess([...RUN_AGENT_FROM_SOURCE, '__demo-agent'], {
      stdinText: 'hello',
      cwd,
      env: { PATH: process.env.PATH },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Checked 0 file name(s)');
  });

  it.each([
    ['DEMO_SLOW', 'slow step 2/60'],
    ['DEMO_HANG', 'waiting forever'],
  ])('%s keeps running (stopped by the test)', async (keyword, marker) => {
    const child = spawn(
      RUN_AGENT_FROM_SOURCE[0]!,
      RUN_AGENT_FROM_SOURCE.slice(1).concat('__demo-agent'),
      {
        cwd,
        env: { PATH: process.env.PATH, JRUN_RUN_FOLDER: runDir, JRUN_TASK_FOLDER: taskDir },
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    child.stdin.on('error', () => {});
    child.stdin.end(keyword);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const closed = new Promise<NodeJS.Signals | null>((res) =>
      child.on('close', (_c, signal) => res(signal)),
    );
    try {
      await waitFor(() => out.includes(marker), 15_000, marker);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe('SIGTERM');
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
  });
});
