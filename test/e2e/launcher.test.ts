/**
 * bin/launch.cjs: the CLIs start from dist/<cli>.cjs through a per-command V8 code cache.
 * Each test uses a private package copy (bin/ + a fresh build), never the shared dist/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClis } from '../../scripts/build.mjs';

const REPO = resolve(import.meta.dirname, '../..');
let pkg: string;

beforeAll(async () => {
  pkg = mkdtempSync(join(tmpdir(), 'launcher-'));
  cpSync(join(REPO, 'bin'), join(pkg, 'bin'), { recursive: true });
  await bundleClis(join(pkg, 'dist'));
}, 120_000);
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

function runAgent(args: string[], packageDir = pkg): { code: number | null; out: string } {
  const result = spawnSync(process.execPath, [join(packageDir, 'bin', 'run-agent'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: pkg },
    timeout: 30_000,
  });
  return { code: result.status, out: result.stdout + result.stderr };
}

function caches(): string[] {
  return readdirSync(join(pkg, 'dist', 'cache')).sort();
}

describe('launcher', () => {
  it('saves one code cache per command on first use and reuses it', () => {
    expect(caches()).toEqual([]);
    expect(runAgent(['bus', '--help'])).toMatchObject({ code: 0 });
    const [busCache] = caches();
    expect(busCache).toMatch(/^run-agent-bus-[0-9a-f]{8}\.cache$/);
    const first = statSync(join(pkg, 'dist', 'cache', busCache!));
    expect(first.size).toBeGreaterThan(10_000);

    // Accepted by V8: the second run does not write it again.
    expect(runAgent(['bus', '--help'])).toMatchObject({ code: 0 });
    expect(statSync(join(pkg, 'dist', 'cache', busCache!)).mtimeMs).toBe(first.mtimeMs);

    expect(runAgent(['list', '--help'])).toMatchObject({ code: 0 });
    expect(caches()).toHaveLength(2);
  });

  it('replaces a cache that V8 rejects and still runs the command', () => {
    runAgent(['status', '--help']);
    const name = caches().find((file) => file.startsWith('run-agent-status-'))!;
    const path = join(pkg, 'dist', 'cache', name);
    writeFileSync(path, 'not bytecode');
    const result = runAgent(['status', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Usage: run-agent status');
    expect(statSync(path).size).toBeGreaterThan(10_000);
  });

  it('exits 3 with one line when the package is not built', () => {
    const unbuilt = mkdtempSync(join(tmpdir(), 'launcher-unbuilt-'));
    try {
      cpSync(join(REPO, 'bin'), join(unbuilt, 'bin'), { recursive: true });
      const result = runAgent(['--help'], unbuilt);
      expect(result.code).toBe(3);
      expect(result.out.trim()).toBe(
        'Error: conductor-loop is not built yet: run `npm run build` (or `npm start`) first',
      );
    } finally {
      rmSync(unbuilt, { recursive: true, force: true });
    }
  });
});
