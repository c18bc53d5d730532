import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
// The built CLIs (bin/ + dist/); overridable to test a private build while others rebuild dist/.
const PACKAGE = process.env.CONDUCTOR_E2E_PACKAGE ?? REPO;
const RUN_AGENT = join(PACKAGE, 'bin', 'run-agent');
const MESSAGEBUS_TOOL = join(PACKAGE, 'bin', 'messagebus-tool');
const FIXTURES = join(REPO, 'test', 'fixtures', 'bus');

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-cli-'));
  root = join(dir, 'runs');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a CLI with a clean environment (no inherited JRUN_* or CONDUCTOR_ROOT). */
function cli(
  bin: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Result {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir };
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...env, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const runAgent = (args: string[], options?: Parameters<typeof cli>[2]): Result =>
  cli(RUN_AGENT, args, options);

function taskBus(project = 'demo', task = 't1'): string {
  return join(root, project, task, 'TASK-MESSAGE-BUS.md');
}

describe('run-agent bus post/read', () => {
  it('posts with flags and reads back in the reference format', () => {
    const first = runAgent([
      'bus',
      'post',
      '--root',
      root,
      '--project',
      'demo',
      '--task',
      't1',
      '--body',
      'hello',
    ]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^msg_id: MSG-\d{8}-\d{6}-\d{9}-PID\d{5}-\d{4}\n$/);
    const second = runAgent([
      'bus',
      'post',
      '--root',
      root,
      '--project-id',
      'demo',
      '--task-id',
      't1',
      '--type',
      'FACT',
      '--run',
      'r1',
      '--body',
      'line 1\n---\nline 3',
      '--json',
    ]);
    expect(second.code).toBe(0);
    const posted = JSON.parse(second.stdout) as { msg_id: string };

    const read = runAgent(['bus', 'read', '--root', root, '--project', 'demo', '--task', 't1']);
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \(INFO\) hello\n\n\[[\d :-]+\] \(FACT\) line 1\n---\nline 3\n\n$/,
    );
    const json = runAgent([
      'bus',
      'read',
      '--root',
      root,
      '--project',
      'demo',
      '--task',
      't1',
      '--json',
      '--tail',
      '1',
    ]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg_id: posted.msg_id,
      type: 'FACT',
      project_id: 'demo',
      task_id: 't1',
      run_id: 'r1',
      body: 'line 1\n---\nline 3',
    });
    // On disk the `---` body line is escaped so the reference's reader keeps the text too.
    expect(readFileSync(taskBus(), 'utf8')).toContain('\nline 1\n ---\nline 3\n');
  });

  it('reads the body from a pipe, and filters by type / since / tail', () => {
    const args = ['--root', root, '--project', 'demo', '--task', 't1'];
    expect(runAgent(['bus', 'post', ...args], { input: 'from stdin\n' }).code).toBe(0);
    const fact = runAgent(['bus', 'post', ...args, '--type', 'FACT', '--body', 'a fact', '--json']);
    runAgent(['bus', 'post', ...args, '--type', 'PROGRESS', '--body', 'progress']);
    const sinceId = (JSON.parse(fact.stdout) as { msg_id: string }).msg_id;

    const bodies = (r: Result): string[] =>
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { body: string }).body);
    expect(bodies(runAgent(['bus', 'read', ...args, '--json']))).toEqual([
      'from stdin',
      'a fact',
      'progress',
    ]);
    expect(bodies(runAgent(['bus', 'read', ...args, '--json', '--type-filter', 'fact']))).toEqual([
      'a fact',
    ]);
    expect(
      bodies(
        runAgent([
          'bus',
          'read',
          ...args,
          '--json',
          '--filter-type',
          'FACT,PROGRESS',
          '--tail',
          '1',
        ]),
      ),
    ).toEqual(['progress']);
    expect(bodies(runAgent(['bus', 'read', ...args, '--json', '--since', sinceId]))).toEqual([
      'progress',
    ]);
  });

  it('resolves the bus from JRUN_MESSAGE_BUS and JRUN_* ids, and from a run folder', () => {
    const busPath = taskBus('proj', 'task-a');
    mkdirSync(join(root, 'proj', 'task-a', 'run-1'), { recursive: true });
    const env = {
      JRUN_MESSAGE_BUS: busPath,
      JRUN_PROJECT_ID: 'proj',
      JRUN_TASK_ID: 'task-a',
      JRUN_ID: 'run-1',
    };
    expect(runAgent(['bus', 'post', '--body', 'via env'], { env }).code).toBe(0);

    const runDir = join(root, 'proj', 'task-a', 'run-1');
    writeFileSync(
      join(runDir, 'run-info.yaml'),
      'version: 1\nrun_id: run-1\nproject_id: proj\ntask_id: task-a\n',
    );
    expect(runAgent(['bus', 'post', '--body', 'via cwd run-info'], { cwd: runDir }).code).toBe(0);

    const messages = runAgent(['bus', 'read', '--json'], { cwd: runDir })
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(messages.map((m) => [m.body, m.project_id, m.task_id, m.run_id])).toEqual([
      ['via env', 'proj', 'task-a', 'run-1'],
      ['via cwd run-info', 'proj', 'task-a', 'run-1'],
    ]);
    expect(runAgent(['bus', 'discover', '--from', runDir]).stdout).toBe(`${busPath}\n`);
  });

  it('prints the reference fixture like the reference CLI', () => {
    const project = join(root, 'demo');
    const task = join(project, 'task-20260101-000000-fixture');
    mkdirSync(task, { recursive: true });
    cpSync(
      join(FIXTURES, 'reference-PROJECT-MESSAGE-BUS.md'),
      join(project, 'PROJECT-MESSAGE-BUS.md'),
    );
    cpSync(join(FIXTURES, 'reference-TASK-MESSAGE-BUS.md'), join(task, 'TASK-MESSAGE-BUS.md'));
    const out = runAgent([
      'bus',
      'read',
      '--root',
      root,
      '--project',
      'demo',
      '--task',
      'task-20260101-000000-fixture',
      '--tail',
      '3',
    ]);
    expect(out.code).toBe(0);
    // Reference output (cli-output.txt); we also end the last message with a blank line.
    expect(out.stdout).toBe(
      '[2026-11-26 14:57:50] (RUN_STOP) run stopped with code 0\n' +
        'run_dir: <ROOT>/demo/task-20260101-000000-fixture/runs/20261126-1457500000-2473-1\n' +
        'output: <ROOT>/demo/task-20260101-000000-fixture/runs/20261126-1457500000-2473-1/output.md\n\n' +
        '[2026-11-26 14:57:50] (INFO) task completed (DONE marker present, no active children)\n\n' +
        '[2026-11-26 14:57:50] (FACT) task completion facts propagated to project bus ' +
        '(msg_id=MSG-20261126-145750-503218460-PID02473-0005 key=c8c7a0fcc28adb8d4af6eb40bde2b34fd624fbf438b425e37ba3936617820141)\n\n',
    );
  });

  it('follows new messages until interrupted', async () => {
    const args = ['--root', root, '--project', 'demo', '--task', 't1'];
    runAgent(['bus', 'post', ...args, '--body', 'before']);
    const child = spawn(process.execPath, [RUN_AGENT, 'bus', 'read', ...args, '--follow'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) =>
      child.on('exit', (code) => resolveExit(code)),
    );
    const until = async (text: string): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`follower never printed ${text}; got ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('before');
    runAgent(['bus', 'post', ...args, '--body', 'after']);
    await until('(INFO) after');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out.indexOf('before')).toBeLessThan(out.indexOf('after'));
  });
});

describe('messagebus-tool', () => {
  it('write posts ONE message with real newlines; read shows it', () => {
    const args = ['--root', root, '--project-id', 'demo', '--task-id', 't1'];
    const write = cli(MESSAGEBUS_TOOL, ['write', ...args, 'Multiple\\nlines\\nof\\nstatus']);
    expect(write).toMatchObject({ code: 0, stderr: '' });
    expect(
      cli(MESSAGEBUS_TOOL, ['write', ...args, '--type', 'PROGRESS', 'tab\\there', 'and', 'words'])
        .code,
    ).toBe(0);
    expect(
      cli(MESSAGEBUS_TOOL, ['write', ...args], { input: 'piped \\n stays literal\n' }).code,
    ).toBe(0);
    const read = cli(MESSAGEBUS_TOOL, ['read', ...args, '--json']);
    const bodies = read.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { body: string }).body);
    expect(bodies).toEqual([
      'Multiple\nlines\nof\nstatus',
      'tab\there and words',
      'piped \\n stays literal',
    ]);
  });

  it('uses the JRUN_* environment of an agent run', () => {
    const busPath = taskBus('proj', 'task-b');
    mkdirSync(join(root, 'proj', 'task-b'), { recursive: true });
    const env = {
      JRUN_MESSAGE_BUS: busPath,
      JRUN_PROJECT_ID: 'proj',
      JRUN_TASK_ID: 'task-b',
      JRUN_ID: 'r9',
    };
    expect(cli(MESSAGEBUS_TOOL, ['write', 'status: ok'], { env }).code).toBe(0);
    expect(readFileSync(busPath, 'utf8')).toMatch(
      /project_id: proj\ntask_id: task-b\nrun_id: r9\n---\nstatus: ok\n$/,
    );
  });
});

describe('bad input leaves the bus untouched', () => {
  const scope = (project = 'demo', task = 't1'): string[] => [
    '--root',
    root,
    '--project',
    project,
    '--task',
    task,
  ];

  function expectError(result: Result, code: number, message: RegExp): void {
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Error: /);
    expect(lines[0]).toMatch(message);
  }

  it.each([
    [
      'a path-escaping project id',
      ['--root', 'R', '--project', '../x', '--task', 't1', '--body', 'x'],
      /invalid project id "\.\.\/x"/,
    ],
    [
      'a task id with spaces',
      ['--root', 'R', '--project', 'demo', '--task', 'has space', '--body', 'x'],
      /invalid task id "has space": must not contain spaces/,
    ],
    [
      'a 200-char task id',
      ['--root', 'R', '--project', 'demo', '--task', 'x'.repeat(200), '--body', 'x'],
      /at most 128 characters/,
    ],
    [
      'a bad run id',
      ['--root', 'R', '--project', 'demo', '--task', 't1', '--run', '../r', '--body', 'x'],
      /invalid run id/,
    ],
    [
      'an empty body',
      ['--root', 'R', '--project', 'demo', '--task', 't1', '--body', ''],
      /message body must not be empty/,
    ],
    [
      'a blank body',
      ['--root', 'R', '--project', 'demo', '--task', 't1', '--body', ' \n '],
      /message body must not be empty/,
    ],
    [
      'a bad type',
      ['--root', 'R', '--project', 'demo', '--task', 't1', '--type', 'NO SPACES', '--body', 'x'],
      /invalid message type/,
    ],
  ])('rejects %s with exit 2', (_name, rawArgs, message) => {
    runAgent(['bus', 'post', ...scope(), '--body', 'existing']);
    const before = readFileSync(taskBus());
    const args = rawArgs.map((a) => (a === 'R' ? root : a));
    expectError(runAgent(['bus', 'post', ...args]), 2, message);
    expect(readFileSync(taskBus())).toEqual(before);
    // Nothing was created for the rejected ids either.
    expect(spawnSync('ls', [root]).stdout.toString().trim()).toBe('demo');
  });

  it('rejects a body over the limit (from stdin)', () => {
    runAgent(['bus', 'post', ...scope(), '--body', 'existing']);
    const before = readFileSync(taskBus());
    const big = 'x'.repeat(1024 * 1024 + 1);
    expectError(
      runAgent(['bus', 'post', ...scope()], { input: big }),
      2,
      /too large: 1048577 bytes \(limit 1048576 bytes\)/,
    );
    expect(readFileSync(taskBus())).toEqual(before);
  });

  it('reports a root that cannot hold folders as a configuration error (exit 3)', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    expectError(
      runAgent(['bus', 'post', '--root', file, '--project', 'demo', '--body', 'x']),
      3,
      /not a directory/,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('names the missing bus file on read (exit 2)', () => {
    expectError(
      runAgent(['bus', 'read', '--root', root, '--project', 'nope']),
      2,
      new RegExp(
        `message bus not found: ${join(root, 'nope', 'PROJECT-MESSAGE-BUS.md').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
  });

  it('rejects an unknown --since id and a bad --tail (exit 2)', () => {
    runAgent(['bus', 'post', ...scope(), '--body', 'existing']);
    expectError(
      runAgent(['bus', 'read', ...scope(), '--since', 'MSG-NOPE']),
      2,
      /since id not found: MSG-NOPE/,
    );
    expectError(
      runAgent(['bus', 'read', ...scope(), '--tail', 'lots']),
      2,
      /invalid --tail "lots"/,
    );
  });

  it('explains when no bus can be found (exit 2)', () => {
    expectError(runAgent(['bus', 'post', '--body', 'x']), 2, /no message bus found/);
    expectError(runAgent(['bus', 'discover', '--from', dir]), 2, /no message bus found/);
  });
});
