import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConductorError } from '../core/errors.js';
import { consumeRunQuota, runsToday } from './rate-limit.js';

const execFileAsync = promisify(execFile);
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rate-limit-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('consumeRunQuota', () => {
  it('counts per agent and refuses past the limit with a retriable error saying when it resets', () => {
    const now = new Date('2026-11-26T15:30:00Z');
    expect(consumeRunQuota({ root, agent: 'codex', requestsPerDay: 2, now })).toBe(1);
    expect(consumeRunQuota({ root, agent: 'codex', requestsPerDay: 2, now })).toBe(2);
    expect(consumeRunQuota({ root, agent: 'claude', requestsPerDay: 2, now })).toBe(1);
    let caught: unknown;
    try {
      consumeRunQuota({ root, agent: 'codex', requestsPerDay: 2, now });
    } catch (error) {
      caught = error;
    }
    expect(isConductorError(caught) && caught.exitCode).toBe(1);
    expect((caught as Error).message).toBe(
      'rate limit reached for agent codex: 2/2 runs today; resets at 2026-11-27T00:00:00Z (in 8h30m)',
    );
    expect(runsToday(root, 'codex', now)).toBe(2);
  });

  it('starts from zero on a new UTC day and survives a corrupt file', () => {
    const day1 = new Date('2026-11-26T23:59:00Z');
    consumeRunQuota({ root, agent: 'a', requestsPerDay: 1, now: day1 });
    const day2 = new Date('2026-11-27T00:00:01Z');
    expect(consumeRunQuota({ root, agent: 'a', requestsPerDay: 1, now: day2 })).toBe(1);
    writeFileSync(join(root, '.conductor', 'rate-limits.json'), '{not json');
    expect(consumeRunQuota({ root, agent: 'a', requestsPerDay: 1, now: day2 })).toBe(1);
  });

  it('does not limit when the limit is 0', () => {
    for (let i = 0; i < 5; i += 1) consumeRunQuota({ root, agent: 'a', requestsPerDay: 0 });
    expect(runsToday(root, 'a')).toBe(5);
  });

  it('never loses a count across concurrent processes', async () => {
    const module = fileURLToPath(new URL('./rate-limit.ts', import.meta.url));
    const script = `import { consumeRunQuota } from ${JSON.stringify(module)};
      for (let i = 0; i < 25; i++) consumeRunQuota({ root: ${JSON.stringify(root)}, agent: 'x', requestsPerDay: 0 });`;
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    await Promise.all(
      [1, 2, 3, 4].map(() => execFileAsync(tsx, ['--eval', script], { timeout: 30_000 })),
    );
    expect(runsToday(root, 'x')).toBe(100);
  });
});
