/**
 * The claude/codex/gemini backends against the fake CLIs as real processes: the launch the
 * backend builds runs, the stream it prints is the documented format, and summarize() reads
 * text and usage back. Also the fake's keyword behaviours the runner's tests rely on.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBackend } from '../../src/runner/agents/index.js';
import type { AgentBackend, AgentConfig, ProgressLine } from '../../src/runner/agents/types.js';
import {
  fakePath,
  runProcess,
  waitFor,
  type ProcessResult,
} from '../fixtures/agents/process-helper.js';

type CliType = 'claude' | 'codex' | 'gemini';
const CLIS: CliType[] = ['claude', 'codex', 'gemini'];

let root: string;
let taskDir: string;
let runDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'agents-cli-'));
  taskDir = join(root, 'proj', 'task-1');
  runDir = join(taskDir, 'run-1');
  mkdirSync(runDir, { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function agent(type: CliType, extra: Partial<AgentConfig> = {}): AgentConfig {
  return {
    name: type,
    type,
    timeoutMs: 60_000,
    maxRetries: 0,
    retryBaseDelayMs: 0,
    env: {},
    ...extra,
  };
}

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: fakePath(),
    HOME: root,
    JRUN_TASK_FOLDER: taskDir,
    JRUN_RUN_FOLDER: runDir,
    JRUN_ID: 'run-1',
    JRUN_PROJECT_ID: 'proj',
    JRUN_TASK_ID: 'task-1',
  };
}

interface Finished extends ProcessResult {
  backend: AgentBackend;
  progress: ProgressLine[];
}

async function runAgent(type: CliType, prompt: string, config = agent(type)): Promise<Finished> {
  const backend = getBackend(type);
  const promptPath = join(runDir, 'prompt.md');
  writeFileSync(promptPath, prompt);
  const launch = backend.buildLaunch({
    agent: config,
    runDir,
    promptPath,
    cwd: taskDir,
    baseEnv: baseEnv(),
  });
  const parser = backend.createProgressParser();
  const progress: ProgressLine[] = [];
  const result = await runProcess(launch.argv, {
    stdinFile: promptPath,
    cwd: taskDir,
    env: launch.env,
    onStdout: (chunk) => progress.push(...parser.push(chunk)),
  });
  return { ...result, backend, progress };
}

const files = (r: ProcessResult) => ({ stdout: r.stdout, stderr: r.stderr, runDir });

describe.each(CLIS)('%s backend with the fake CLI', (type) => {
  it('default run: exit 0, final text says success, usage parsed, DONE created', async () => {
    const r = await runAgent(type, 'Do the thing.');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = r.backend.summarize(files(r));
    expect(summary.finalText).toContain('success');
    expect(summary.failed).toBeUndefined();
    expect(summary.usage?.input_tokens).toBeGreaterThan(0);
    expect(summary.usage?.output_tokens).toBeGreaterThan(0);
    expect(summary.usage?.cached_input_tokens).toBeGreaterThan(0);
    expect(summary.sessionId).toBeTruthy();
    expect(existsSync(join(taskDir, 'DONE'))).toBe(true);
    expect(r.progress.some((p) => p.kind === 'tool')).toBe(true);
  });

  it('FAKE_ERROR_RESULT: exit 1 and the stream reports the failure', async () => {
    const r = await runAgent(type, 'FAKE_ERROR_RESULT');
    expect(r.code).toBe(1);
    const summary = r.backend.summarize(files(r));
    expect(summary.failed).toBe(true);
    expect(summary.errorMessage).toBe(`fake ${type} error result`);
    expect(r.backend.explainFailure?.(1, r.stderr, summary)).toBe(
      `${type}: fake ${type} error result`,
    );
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
  });

  it('FAKE_EXIT=3 exits 3 without DONE; FAKE_CRASH dies by SIGKILL', async () => {
    const exit3 = await runAgent(type, 'please FAKE_EXIT=3');
    expect(exit3.code).toBe(3);
    expect(exit3.stderr).toContain('exiting with code 3');
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
    const crash = await runAgent(type, 'FAKE_CRASH');
    expect(crash.signal).toBe('SIGKILL');
  });

  it('detects the version like the real CLI', async () => {
    const expected = {
      claude: '2.1.332 (Claude Code)',
      codex: 'codex-cli 0.171.0',
      gemini: '0.61.0',
    }[type];
    expect(await getBackend(type).detectVersion(agent(type), { PATH: fakePath() })).toBe(expected);
  });
});

describe('fake CLI keywords', () => {
  it('FAKE_DONE_AFTER=2 creates DONE on the second attempt only; FAKE_NO_DONE never', async () => {
    await runAgent('codex', 'FAKE_DONE_AFTER=2');
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
    await runAgent('codex', 'FAKE_DONE_AFTER=2');
    expect(existsSync(join(taskDir, 'DONE'))).toBe(true);
    rmSync(join(taskDir, 'DONE'));
    const r = await runAgent('claude', 'FAKE_NO_DONE');
    expect(r.code).toBe(0);
    expect(existsSync(join(taskDir, 'DONE'))).toBe(false);
  });

  it('FAKE_WRITE_OUTPUT writes output.md; FAKE_STDERR writes stderr lines', async () => {
    const r = await runAgent('gemini', 'FAKE_WRITE_OUTPUT FAKE_STDERR');
    expect(r.code).toBe(0);
    expect(readFileSync(join(runDir, 'output.md'), 'utf8')).toContain('success');
    expect(r.stderr.split('\n').filter((l) => l.includes('stderr line'))).toHaveLength(3);
  });

  it('FAKE_SLOW=1 streams progress before it exits', async () => {
    const started = Date.now();
    let firstProgressAt = 0;
    const backend = getBackend('claude');
    const parser = backend.createProgressParser();
    const promptPath = join(runDir, 'prompt.md');
    writeFileSync(promptPath, 'FAKE_SLOW=1');
    const launch = backend.buildLaunch({
      agent: agent('claude'),
      runDir,
      promptPath,
      cwd: taskDir,
      baseEnv: baseEnv(),
    });
    const r = await runProcess(launch.argv, {
      stdinFile: promptPath,
      env: launch.env,
      onStdout: (c) => {
        if (firstProgressAt === 0 && parser.push(c).some((p) => p.kind === 'tool'))
          firstProgressAt = Date.now();
      },
    });
    const ended = Date.now();
    expect(r.code).toBe(0);
    expect(ended - started).toBeGreaterThanOrEqual(1000);
    expect(firstProgressAt).toBeGreaterThan(0);
    expect(ended - firstProgressAt).toBeGreaterThanOrEqual(500);
  });

  it('FAKE_GRANDCHILD leaves a live grandchild whose pid is recorded', async () => {
    const r = await runAgent('codex', 'FAKE_GRANDCHILD');
    expect(r.code).toBe(0);
    const pid = Number(readFileSync(join(runDir, 'grandchild.pid'), 'utf8'));
    try {
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('FAKE_IGNORE_TERM survives SIGTERM until SIGKILL', async () => {
    const backend = getBackend('claude');
    const promptPath = join(runDir, 'prompt.md');
    writeFileSync(promptPath, 'FAKE_IGNORE_TERM');
    const launch = backend.buildLaunch({
      agent: agent('claude'),
      runDir,
      promptPath,
      cwd: taskDir,
      baseEnv: baseEnv(),
    });
    const child = spawn(launch.argv[0]!, launch.argv.slice(1), {
      env: launch.env,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdin.on('error', () => {});
    child.stdin.end('FAKE_IGNORE_TERM');
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    let exited = false;
    const closed = new Promise<NodeJS.Signals | null>((res) =>
      child.on('close', (_code, signal) => {
        exited = true;
        res(signal);
      }),
    );
    await waitFor(() => out.includes('"init"'), 10_000, 'the init line');
    child.kill('SIGTERM');
    // Give the signal time to be delivered; an agent that honoured it would be gone by now.
    await new Promise((r) => setTimeout(r, 300));
    expect(exited).toBe(false);
    child.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
  });
});

describe('argv and environment checks like the real CLIs', () => {
  it('claude without --verbose fails with the real message', async () => {
    const r = await runAgent(
      'claude',
      'hi',
      agent('claude', { command: ['claude', '--no-such-flag'] }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
    const promptPath = join(runDir, 'prompt.md');
    const noVerbose = await runProcess(['claude', '-p', '--output-format', 'stream-json'], {
      stdinFile: promptPath,
      env: { PATH: fakePath(), IS_SANDBOX: '1' },
    });
    expect(noVerbose.code).toBe(1);
    expect(noVerbose.stderr).toContain('--output-format=stream-json requires --verbose');
    expect(getBackend('claude').explainFailure?.(1, noVerbose.stderr, {})).toMatch(
      /needs --verbose/,
    );
  });

  it('claude refuses bypassPermissions as root unless IS_SANDBOX=1 (the backend sets it)', async () => {
    const r = await runAgent('claude', 'hi', agent('claude', { env: { IS_SANDBOX: '0' } }));
    if (process.getuid?.() === 0) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(getBackend('claude').explainFailure?.(1, r.stderr, {})).toMatch(/IS_SANDBOX=1/);
    } else {
      expect(r.code).toBe(0);
    }
  });

  it('gemini in an untrusted folder exits 55 and the backend explains it', async () => {
    const r = await runAgent(
      'gemini',
      'hi',
      agent('gemini', { env: { GEMINI_CLI_TRUST_WORKSPACE: 'false' } }),
    );
    expect(r.code).toBe(55);
    expect(r.stdout).toBe('');
    expect(getBackend('gemini').explainFailure?.(55, r.stderr, {})).toMatch(/untrusted folder/);
  });

  it('a missing executable becomes exit 127 under sh with a clear hint', async () => {
    const r = await runProcess(['/bin/sh', '-c', '"$@"', 'sh', 'no-such-agent-cli'], {
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(r.code).toBe(127);
    expect(getBackend('codex').explainFailure?.(127, r.stderr, {})).toMatch(/executable not found/);
    expect(
      await getBackend('codex').detectVersion(agent('codex', { command: ['no-such-agent-cli'] }), {
        PATH: '/usr/bin:/bin',
      }),
    ).toBe('');
  });

  it('FAKE_CHILD_TASK starts `run-agent task` from the PATH it was given', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const record = join(root, 'child-argv.txt');
    writeFileSync(join(bin, 'run-agent'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`, {
      mode: 0o755,
    });
    const config = agent('codex', { env: { PATH: `${bin}:${fakePath()}` } });
    const r = await runAgent('codex', 'FAKE_CHILD_TASK=child-1 FAKE_CHILD_WAIT', config);
    expect(r.code).toBe(0);
    const argv = readFileSync(record, 'utf8').trim().split('\n');
    expect(argv.slice(0, 5)).toEqual(['task', '--task-id', 'child-1', '--agent', 'codex']);
    expect(argv).toContain('--prompt');
    expect(argv.slice(-2)).toEqual(['--root', root]);
  });

  it('version detection runs `--version` once per executable and PATH', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const calls = join(root, 'version-calls.txt');
    writeFileSync(
      join(bin, 'my-claude'),
      `#!/bin/sh\necho x >> '${calls}'\necho '9.9.9 (Claude Code)'\n`,
      { mode: 0o755 },
    );
    const config = agent('claude', { command: ['my-claude'] });
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const results = await Promise.all(
      [1, 2, 3].map(() => getBackend('claude').detectVersion(config, env)),
    );
    expect(results).toEqual(['9.9.9 (Claude Code)', '9.9.9 (Claude Code)', '9.9.9 (Claude Code)']);
    expect(await getBackend('claude').detectVersion(config, env)).toBe('9.9.9 (Claude Code)');
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
