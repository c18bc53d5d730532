import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isConductorError } from './errors.js';
import { discoverConfigPath, loadConfig } from './config.js';

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configIn(dir: string, text: string): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

function loadError(options: Parameters<typeof loadConfig>[0]): {
  message: string;
  exitCode: number;
} {
  try {
    loadConfig(options);
  } catch (error) {
    if (isConductorError(error)) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('gives the seed defaults when no file exists', () => {
    const dir = tempDir();
    const config = loadConfig({ cwd: dir, env: { HOME: dir } });
    expect(config.path).toBeUndefined();
    expect(config.defaults.timeoutMs).toBe(300_000);
    expect(config.defaults.maxConcurrentRuns).toBe(16);
    expect(config.rateLimits).toEqual({
      perUser: { requestsPerHour: 100, maxConcurrent: 5 },
      perAgent: { requestsPerDay: 1000 },
    });
    expect(config.api.host).toBe('127.0.0.1');
    expect(config.api.port).toBe(8080);
  });

  it('reads the seed example keys: agents.<name>.timeout and token_file with ~', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.secrets'), { mode: 0o700 });
    writeFileSync(join(dir, '.secrets', 'claude.token'), 'sk-ant-test\n', { mode: 0o600 });
    configIn(
      dir,
      'agents:\n  claude:\n    timeout: 900  # 15 minutes\n    token_file: ~/.secrets/claude.token\n  fast:\n    type: codex\n    timeout: 2m\nrate_limits:\n  per_user:\n    requests_per_hour: 100\n    max_concurrent: 5\n  per_agent:\n    requests_per_day: 1000\n',
    );
    const config = loadConfig({ cwd: dir, env: { HOME: dir } });
    expect(config.agents.claude).toMatchObject({
      type: 'claude',
      timeoutMs: 900_000,
      token: 'sk-ant-test',
    });
    expect(config.agents.fast).toMatchObject({ type: 'codex', timeoutMs: 120_000 });
    expect(config.warnings).toEqual([]);
  });

  it('warns about inline tokens and loose token file modes without echoing the secret', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'xai.token'), 'xai-secret', { mode: 0o644 });
    chmodSync(join(dir, 'xai.token'), 0o644);
    configIn(
      dir,
      'agents:\n  claude:\n    token: "sk-ant-actual-token-here"\n  xai:\n    token_file: xai.token\n',
    );
    const config = loadConfig({ cwd: dir, env: { HOME: dir } });
    expect(config.warnings).toHaveLength(2);
    expect(config.warnings[0]).toContain('agents.claude.token');
    expect(config.warnings[0]).toContain('token_file');
    expect(config.warnings[1]).toContain('chmod 600');
    expect(config.warnings.join('\n')).not.toContain('sk-ant-actual');
    expect(config.agents.xai?.token).toBe('xai-secret');
  });

  it('fails with exit 3 naming file and key for a missing token file', () => {
    const dir = tempDir();
    const path = configIn(dir, 'agents:\n  claude:\n    token_file: /nonexistent/claude.token\n');
    const { message, exitCode } = loadError({ cwd: dir, env: { HOME: dir } });
    expect(exitCode).toBe(3);
    expect(message).toBe(
      `config ${path}: agents.claude.token_file: token file not found: /nonexistent/claude.token`,
    );
  });

  it('rejects unknown keys, wrong types and bad YAML with the key path', () => {
    const dir = tempDir();
    const path = configIn(dir, 'agents:\n  claude:\n    timeout: soon\n    colour: red\n');
    const { message, exitCode } = loadError({ cwd: dir, env: {} });
    expect(exitCode).toBe(3);
    expect(message).toContain(path);
    expect(message).toContain('agents.claude.timeout: expected a positive number of seconds');
    expect(message).toContain('unknown key agents.claude.colour');

    configIn(dir, 'agents: [unclosed\n');
    expect(loadError({ cwd: dir, env: {} }).message).toMatch(/invalid YAML/);

    configIn(dir, 'agents:\n  mystery: {}\n');
    expect(loadError({ cwd: dir, env: {} }).message).toContain(
      'agents.mystery.type: expected one of claude, codex',
    );
  });

  it('honours --config, then CONDUCTOR_CONFIG, and fails clearly for a missing explicit file', () => {
    const dir = tempDir();
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'api:\n  port: 9999\n');
    configIn(dir, 'api:\n  port: 7777\n');
    expect(loadConfig({ cwd: dir, env: {} }).api.port).toBe(7777);
    expect(loadConfig({ cwd: dir, env: { CONDUCTOR_CONFIG: other } }).api.port).toBe(9999);
    expect(loadConfig({ configPath: 'other.yaml', cwd: dir, env: {} }).api.port).toBe(9999);
    const missing = loadError({ configPath: 'nope.yaml', cwd: dir, env: {} });
    expect(missing.exitCode).toBe(3);
    expect(missing.message).toBe(`config file not found: ${join(dir, 'nope.yaml')}`);
  });

  it('collects API keys from config and environment, and env token overrides', () => {
    const dir = tempDir();
    configIn(
      dir,
      'api:\n  api_keys:\n    - user: alice\n      key: k1\nagents:\n  my-claude:\n    type: claude\n',
    );
    const config = loadConfig({
      cwd: dir,
      env: { CONDUCTOR_API_KEY: 'k2', CONDUCTOR_AGENT_MY_CLAUDE_TOKEN: 'tok' },
    });
    expect(config.api.apiKeys).toEqual([
      { user: 'alice', key: 'k1' },
      { user: 'env', key: 'k2' },
    ]);
    expect(config.agents['my-claude']?.token).toBe('tok');
  });

  it('accepts command agents from a cli string or a list', () => {
    const dir = tempDir();
    configIn(
      dir,
      'agents:\n  lint:\n    cli: "/usr/bin/env bash -c \'echo hi\'"\n  echo:\n    command: [echo, hello]\n',
    );
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.agents.lint).toMatchObject({
      type: 'command',
      command: ['/usr/bin/env', 'bash', '-c', 'echo hi'],
    });
    expect(config.agents.echo?.command).toEqual(['echo', 'hello']);
  });
});

describe('loadConfig: the reference HCL home file', () => {
  /** A temp HOME with ~/.run-agent/conductor-loop.hcl, and an empty cwd. */
  function homeHcl(text: string): { home: string; cwd: string; path: string } {
    const home = tempDir();
    mkdirSync(join(home, '.run-agent'), { mode: 0o700 });
    const path = join(home, '.run-agent', 'conductor-loop.hcl');
    writeFileSync(path, text, { mode: 0o600 });
    return { home, cwd: tempDir(), path };
  }

  it('is discovered last and its values reach the resolved config', () => {
    const { home, cwd, path } = homeHcl(
      [
        '# written for the reference',
        'claude {',
        '  token_file = "claude.token"   # relative to ~/.run-agent',
        '}',
        'research {',
        '  type     = "perplexity"',
        '  base_url = "https://api.perplexity.ai/chat/completions"',
        '  model    = "sonar-pro"',
        '  token_file = "~/.perplexity"',
        '}',
        'defaults {',
        '  agent               = "claude"',
        '  timeout             = 900',
        '  max_concurrent_runs = 4',
        '}',
        'api {',
        '  port = 14355',
        '  sse {',
        '    poll_interval_ms = 250',
        '  }',
        '}',
        'storage {',
        '  runs_dir = "runs"',
        '}',
      ].join('\n'),
    );
    writeFileSync(join(home, '.run-agent', 'claude.token'), 'sk-ant-hcl\n', { mode: 0o600 });
    writeFileSync(join(home, '.perplexity'), 'pplx-hcl', { mode: 0o600 });
    const env = { HOME: home };
    expect(discoverConfigPath({ cwd, env })).toBe(path);
    const config = loadConfig({ cwd, env });
    expect(config.path).toBe(path);
    expect(config.defaultAgent).toBe('claude');
    expect(config.agents.claude).toMatchObject({ type: 'claude', token: 'sk-ant-hcl' });
    expect(config.agents.research).toMatchObject({
      type: 'perplexity',
      model: 'sonar-pro',
      baseUrl: 'https://api.perplexity.ai/chat/completions',
      token: 'pplx-hcl',
      timeoutMs: 900_000,
    });
    expect(config.defaults).toMatchObject({ timeoutMs: 900_000, maxConcurrentRuns: 4 });
    expect(config.api.port).toBe(14355);
    expect(config.api.sse.pollMs).toBe(250);
    expect(config.storage.runsDir).toBe(join(home, '.run-agent', 'runs'));
    expect(config.warnings).toEqual([]);
  });

  it('loses to ./config.yaml and ~/.run-agent/config.yaml; a project config.hcl is not discovered', () => {
    const { home, cwd, path } = homeHcl('api {\n  port = 1111\n}\n');
    const env = { HOME: home };
    writeFileSync(join(cwd, 'config.hcl'), 'api {\n  port = 3333\n}\n');
    expect(loadConfig({ cwd, env }).api.port).toBe(1111);
    writeFileSync(join(home, '.run-agent', 'config.yaml'), 'api:\n  port: 2222\n');
    expect(loadConfig({ cwd, env }).api.port).toBe(2222);
    configIn(cwd, 'api:\n  port: 4444\n');
    expect(loadConfig({ cwd, env }).api.port).toBe(4444);
    expect(existsSync(path)).toBe(true);
  });

  it('parses --config x.hcl and CONDUCTOR_CONFIG=x.hcl as HCL', () => {
    const dir = tempDir();
    const file = join(dir, 'team.hcl');
    writeFileSync(file, 'api {\n  port = 5555\n}\n');
    expect(loadConfig({ configPath: 'team.hcl', cwd: dir, env: {} }).api.port).toBe(5555);
    expect(loadConfig({ cwd: dir, env: { CONDUCTOR_CONFIG: file } }).api.port).toBe(5555);
  });

  it('reads the reference template as an empty config, and never creates the file', () => {
    const { home, cwd, path } = homeHcl('');
    copyFileSync(
      join(import.meta.dirname, '../../test/fixtures/reference/conductor-loop.hcl'),
      path,
    );
    const config = loadConfig({ cwd, env: { HOME: home } });
    expect(config.path).toBe(path);
    expect(config.agents).toEqual({});
    const emptyHome = tempDir();
    expect(loadConfig({ cwd, env: { HOME: emptyHome } }).path).toBeUndefined();
    expect(existsSync(join(emptyHome, '.run-agent'))).toBe(false);
  });

  it('fails with exit 3 and one line for bad HCL, and validates with the YAML schema', () => {
    const { home, cwd, path } = homeHcl('claude {\n  model = "sonnet\n}\n');
    const env = { HOME: home };
    expect(loadError({ cwd, env })).toEqual({
      message: `config ${path}: invalid HCL: 2:11 unterminated string`,
      exitCode: 3,
    });
    writeFileSync(path, 'claude {\n  colour = "red"\n}\ndefaults {\n  timeout = "soon"\n}\n');
    const invalid = loadError({ cwd, env });
    expect(invalid.exitCode).toBe(3);
    expect(invalid.message).toBe(
      `config ${path}: unknown key agents.claude.colour; defaults.timeout: expected a positive number of seconds or a duration like 30s, 15m, 1h`,
    );
  });
});
