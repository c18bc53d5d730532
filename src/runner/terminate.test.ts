import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnWrapper } from './spawn.js';
import { isGroupAlive, isRunGroupAlive, terminateGroup } from './terminate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'terminate-'));
  writeFileSync(join(dir, 'prompt.md'), 'x');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('process groups', () => {
  it("tells a run's own group from an unrelated process with a reused id", async () => {
    const runDir = join(dir, '20261126-1200000000-1-1');
    mkdirSync(runDir);
    const { pid } = spawnWrapper({
      argv: ['/bin/sh', '-c', 'sleep 30'],
      env: process.env,
      cwd: dir,
      runDir,
      promptPath: join(dir, 'prompt.md'),
      stdoutPath: join(dir, 'out'),
      stderrPath: join(dir, 'err'),
    });
    const stranger = spawn('/bin/sh', ['-c', 'sleep 30'], { detached: true, stdio: 'ignore' });
    stranger.unref();
    try {
      expect(isRunGroupAlive(pid, runDir)).toBe(true);
      expect(isGroupAlive(stranger.pid!)).toBe(true);
      expect(isRunGroupAlive(stranger.pid!, runDir)).toBe(false);
    } finally {
      await terminateGroup(pid, { graceMs: 2_000 });
      await terminateGroup(stranger.pid!, { graceMs: 2_000 });
    }
    expect(isGroupAlive(pid)).toBe(false);
    expect(isGroupAlive(stranger.pid!)).toBe(false);
  });

  it('treats a missing group as gone', () => {
    expect(isGroupAlive(0)).toBe(false);
    expect(isGroupAlive(2 ** 22 + 12345)).toBe(false);
  });
});
