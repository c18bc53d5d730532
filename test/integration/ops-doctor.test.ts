/** `conductor doctor`: real config, token files, fake agent CLIs, a real server. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/ops/doctor.js';
import { e2eEnv, freePort, runConductor, startServer } from '../helpers/server-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-doctor-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function lines(stdout: string): string[] {
  return stdout.trim().split('\n');
}

describe('conductor doctor', () => {
  it('reports ok lines for a healthy setup and a running server', async () => {
    const token = join(dir, 'pplx.token');
    writeFileSync(token, 'secret-token\n', { mode: 0o600 });
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `agents:\n  claude:\n    type: claude\n  pplx:\n    type: perplexity\n    token_file: ${token}\n`,
    );
    const root = join(dir, 'root');
    const server = await startServer({ root });
    try {
      const result = await runConductor([
        'doctor',
        '--config',
        config,
        '--root',
        root,
        '--server',
        server.url,
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const out = lines(result.stdout);
      for (const line of out) expect(line).toMatch(/^(ok|warn|fail) \S/);
      expect(out).toContain(`ok config ${config} is valid (2 agents)`);
      expect(out).toContain(`ok agents.pplx.token_file: token file ${token} present, mode 0600`);
      expect(out.find((l) => l.startsWith('ok agent claude: '))).toMatch(
        /2\.1\.332 \(Claude Code\)/,
      );
      expect(out).toContain('ok agent pplx: perplexity token configured');
      expect(out).toContain(`ok root ${root} is writable`);
      expect(out.find((l) => l.includes('disk:'))).toMatch(/^(ok|warn) disk: .* free of /);
      expect(out).toContain(`ok server ${server.url} is reachable`);
      expect(out).toContain(`ok server ${server.url} is ready`);
    } finally {
      await server.stop();
    }
  });

  it('fails (exit 3) on a readable token file, a missing agent CLI and an unreachable server', async () => {
    const token = join(dir, 'xai.token');
    writeFileSync(token, 'secret\n');
    chmodSync(token, 0o644);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `agents:\n  grok:\n    type: xai\n    token_file: xai.token\n  cc:\n    type: claude\n    command: [/nonexistent/claude]\n`,
    );
    const port = await freePort();
    const result = await runConductor([
      'doctor',
      '--config',
      config,
      '--root',
      join(dir, 'root'),
      '--server',
      `http://127.0.0.1:${port}`,
    ]);
    expect(result.code).toBe(3);
    const out = lines(result.stdout);
    expect(out).toContain(
      `fail agents.grok.token_file: token file ${token} has mode 0644, want 0600 (chmod 600 ${token})`,
    );
    expect(out).toContain('fail agent cc: /nonexistent/claude not found on PATH');
    expect(
      out.find((l) => l.startsWith(`fail server http://127.0.0.1:${port} unreachable`)),
    ).toBeDefined();
    expect(result.stderr.trim()).toBe('Error: doctor: 3 checks failed');
  });

  it('fails on an invalid config and an unwritable root', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'agents:\n  a:\n    type: claude\n    timeout: soon\n');
    const fileAsRoot = join(dir, 'not-a-dir');
    writeFileSync(fileAsRoot, '');
    const result = await runConductor(['doctor', '--config', config, '--root', fileAsRoot], {
      env: e2eEnv({ CONDUCTOR_URL: 'http://127.0.0.1:1' }),
    });
    expect(result.code).toBe(3);
    const out = lines(result.stdout);
    expect(out[0]).toMatch(/^fail config .*agents\.a\.timeout/);
    expect(out.find((l) => l.startsWith(`fail root ${fileAsRoot} is not writable`))).toBeDefined();
  });

  it('checks readiness of a server with auth, with or without CONDUCTOR_API_KEY', async () => {
    const root = join(dir, 'root');
    const server = await startServer({ root, args: ['--api-key', 'doctor-key'] });
    try {
      const base = { root, cwd: dir, serverUrl: server.url, versionTimeoutMs: 300 };
      const withKey = await runDoctor({
        ...base,
        env: { PATH: '/usr/bin:/bin', HOME: dir, CONDUCTOR_API_KEY: 'doctor-key' },
      });
      expect(withKey).toContainEqual({ level: 'ok', what: `server ${server.url} is ready` });
      // Readiness answers without a key (container probes carry no secret).
      const withoutKey = await runDoctor({ ...base, env: { PATH: '/usr/bin:/bin', HOME: dir } });
      expect(withoutKey).toContainEqual({ level: 'ok', what: `server ${server.url} is ready` });
    } finally {
      await server.stop();
    }
  });

  it('fails a non-loopback bind without an API key, passes it with CONDUCTOR_API_KEY', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'api:\n  host: 0.0.0.0\n');
    const base = {
      configPath: config,
      root: join(dir, 'root'),
      cwd: dir,
      versionTimeoutMs: 300,
      httpTimeoutMs: 300,
    };
    const open = await runDoctor({ ...base, env: { PATH: '/usr/bin:/bin', HOME: dir } });
    expect(open).toContainEqual({
      level: 'fail',
      what: 'api: binds 0.0.0.0 without an API key; conductor serve refuses to start (set CONDUCTOR_API_KEY or api.api_keys)',
    });
    const keyed = await runDoctor({
      ...base,
      env: { PATH: '/usr/bin:/bin', HOME: dir, CONDUCTOR_API_KEY: 'k' },
    });
    expect(keyed).toContainEqual({ level: 'ok', what: 'api: binds 0.0.0.0 with 1 API key(s)' });
  });

  it('gives up on an agent CLI whose --version hangs', async () => {
    const bin = join(dir, 'bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bin);
    writeFileSync(join(bin, 'codex'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const findings = await runDoctor({
      root: join(dir, 'root'),
      cwd: dir,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
      versionTimeoutMs: 300,
      serverUrl: undefined,
      httpTimeoutMs: 300,
    });
    expect(findings).toContainEqual({
      level: 'warn',
      what: `agent codex: ${join(bin, 'codex')}: --version did not answer within 0.3 s`,
    });
  });
});
