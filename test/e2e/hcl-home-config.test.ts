/**
 * A user of the reference keeps agents in ~/.run-agent/conductor-loop.hcl: the built
 * `run-agent job` (bin/ + dist/) started with HOME at a temp home finds it, runs its agents,
 * and refuses a broken file with one line and exit 3.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/core/run-info.js';
import { fakePath, runProcess, tempRoot } from '../integration/runner-helpers.js';
import { BIN } from './seed-helpers.js';

let dir: string;
let cleanup: () => void;
let home: string;
let root: string;

beforeEach(() => {
  ({ root: dir, cleanup } = tempRoot('hcl-home-'));
  home = join(dir, 'home');
  root = join(dir, 'runs');
  mkdirSync(join(home, '.run-agent'), { recursive: true, mode: 0o700 });
});
afterEach(() => cleanup());

function writeHomeHcl(text: string): string {
  const path = join(home, '.run-agent', 'conductor-loop.hcl');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

function job(prompt: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: fakePath(), IS_SANDBOX: '1' };
  for (const name of Object.keys(env)) {
    if (name.startsWith('JRUN_') || name.startsWith('CONDUCTOR_')) delete env[name];
  }
  const args = ['job', '--root', root, '--project', 'proj', '--task', 'task-1', '--prompt', prompt];
  // cwd has no config.yaml, so discovery reaches the home file.
  return runProcess([join(BIN, 'run-agent'), ...args], { env, cwd: dir, timeoutMs: 60_000 });
}

function onlyRunDir(): string {
  const taskDir = join(root, 'proj', 'task-1');
  const runs = readdirSync(taskDir).filter((n) => /^\d{8}-/.test(n));
  expect(runs).toHaveLength(1);
  return join(taskDir, runs[0]!);
}

describe('run-agent job with ~/.run-agent/conductor-loop.hcl', () => {
  it('runs the default agent the HCL file defines (a command agent)', async () => {
    writeHomeHcl(
      [
        '# my agents',
        'echoer {',
        '  type    = "command"',
        '  command = ["/bin/sh", "-c", "echo \\"hcl agent got: $(cat)\\""]',
        '}',
        '',
        'defaults {',
        '  agent   = "echoer"',
        '  timeout = 300',
        '}',
      ].join('\n'),
    );
    const result = await job('hello from the prompt');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const runDir = onlyRunDir();
    expect(readRunInfo(runDir)).toMatchObject({ status: 'completed', agent: 'command' });
    const stdout = readFileSync(join(runDir, 'agent-stdout.txt'), 'utf8');
    expect(stdout).toContain('hcl agent got: ');
    expect(stdout).toContain('hello from the prompt');
  });

  it('runs a reference-style claude block (type from the block name, token_file beside it)', async () => {
    writeHomeHcl(
      'claude {\n  token_file = "claude.token"\n}\n\ndefaults {\n  agent = "claude"\n}\n',
    );
    writeFileSync(join(home, '.run-agent', 'claude.token'), 'sk-ant-from-hcl\n', { mode: 0o600 });
    const result = await job('say hi');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readRunInfo(onlyRunDir())).toMatchObject({
      status: 'completed',
      agent: 'claude',
      agent_version: '2.1.332 (Claude Code)',
    });
  });

  it('refuses a broken file: exit 3, one line naming file, line and column', async () => {
    const path = writeHomeHcl('claude {\n  model = "sonnet\n}\n');
    const result = await job('say hi');
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`Error: config ${path}: invalid HCL: 2:11 unterminated string\n`);
  });
});
