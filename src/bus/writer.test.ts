import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConductorError } from '../core/errors.js';
import { lockSync, unlock } from '../core/flock.js';
import { parseBus } from './record.js';
import { listArchives } from './rotate.js';
import { appendMessage, appendMessageSync, appendMessages, appendMessagesSync } from './writer.js';
import { openSync, closeSync } from 'node:fs';

let dir: string;
let bus: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-writer-'));
  bus = join(dir, 'TASK-MESSAGE-BUS.md');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code: string; exitCode: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (isConductorError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('appendMessagesSync', () => {
  it('creates the file 0644 and writes the reference framing', () => {
    const [m] = appendMessagesSync(bus, [{ project_id: 'demo', body: 'hello' }]);
    expect(m!.msg_id).toMatch(/^MSG-\d{8}-\d{6}-\d{9}-PID\d{5}-\d{4}$/);
    expect(m!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(statSync(bus).mode & 0o777).toBe(0o644);
    expect(readFileSync(bus, 'utf8')).toBe(
      `---\nmsg_id: ${m!.msg_id}\nts: ${m!.ts}\ntype: INFO\nproject_id: demo\ntask_id: ""\nrun_id: ""\n---\nhello\n`,
    );
  });

  it('appends a batch in one write, in order, separated like the reference', () => {
    appendMessageSync(bus, { project_id: 'demo', body: 'first' });
    const batch = appendMessagesSync(bus, [
      { project_id: 'demo', task_id: 't1', type: 'PROGRESS', body: 'a' },
      { project_id: 'demo', run_id: 'r1', type: 'ISSUE', body: 'b\n---\nc' },
    ]);
    const text = readFileSync(bus, 'utf8');
    expect(text).toContain('\nfirst\n\n---\n');
    const all = parseBus(text);
    expect(all.map((m) => m.body)).toEqual(['first', 'a', 'b\n---\nc']);
    expect(all.slice(1)).toEqual(batch);
    expect(batch[1]!.issue_id).toBe(batch[1]!.msg_id);
  });

  it('rejects bad input without touching the file', () => {
    appendMessageSync(bus, { project_id: 'demo', body: 'keep me' });
    const before = readFileSync(bus);
    expect(
      errorOf(() => appendMessageSync(bus, { project_id: 'demo', body: '  \n' })).message,
    ).toBe('message body must not be empty');
    const big = errorOf(() =>
      appendMessageSync(bus, { project_id: 'demo', body: 'x'.repeat(11) }, { maxBodyBytes: 10 }),
    );
    expect(big.message).toBe('message body is too large: 11 bytes (limit 10 bytes)');
    expect(big.exitCode).toBe(2);
    expect(errorOf(() => appendMessageSync(bus, { project_id: '../x', body: 'x' })).exitCode).toBe(
      2,
    );
    expect(
      errorOf(() => appendMessageSync(bus, { project_id: 'p', task_id: 'a b', body: 'x' })).code,
    ).toBe('INVALID_INPUT');
    expect(
      errorOf(() => appendMessageSync(bus, { project_id: 'p', type: 'BAD TYPE', body: 'x' })).code,
    ).toBe('INVALID_INPUT');
    // One bad draft fails the whole batch.
    expect(() =>
      appendMessagesSync(bus, [
        { project_id: 'p', body: 'fine' },
        { project_id: 'p', body: '' },
      ]),
    ).toThrow(/empty/);
    expect(readFileSync(bus)).toEqual(before);
  });

  it('refuses symlinks and non-regular files', () => {
    const target = join(dir, 'elsewhere.md');
    writeFileSync(target, '');
    symlinkSync(target, bus);
    expect(errorOf(() => appendMessageSync(bus, { project_id: 'p', body: 'x' })).message).toMatch(
      /it is a symlink/,
    );
    expect(readFileSync(target, 'utf8')).toBe('');
    const asDir = join(dir, 'DIR-BUS.md');
    mkdirSync(asDir);
    expect(
      errorOf(() => appendMessageSync(asDir, { project_id: 'p', body: 'x' })).exitCode,
    ).toBeGreaterThan(1);
  });

  it('fails with a retriable lock timeout while another holder keeps the lock', () => {
    appendMessageSync(bus, { project_id: 'p', body: 'x' });
    const fd = openSync(bus, 'r');
    lockSync(fd);
    try {
      const error = errorOf(() =>
        appendMessageSync(
          bus,
          { project_id: 'p', body: 'y' },
          { lockTimeoutMs: 30, lockAttempts: 2 },
        ),
      );
      expect(error.code).toBe('LOCK_TIMEOUT');
      expect(error.exitCode).toBe(1);
    } finally {
      unlock(fd);
      closeSync(fd);
    }
    expect(parseBus(readFileSync(bus, 'utf8'))).toHaveLength(1);
  });

  it('async append waits for the lock without blocking the event loop', async () => {
    appendMessageSync(bus, { project_id: 'p', body: 'x' });
    const fd = openSync(bus, 'r');
    lockSync(fd);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const pending = appendMessage(bus, { project_id: 'p', body: 'after unlock' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    unlock(fd);
    closeSync(fd);
    const written = await pending;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
    expect(parseBus(readFileSync(bus, 'utf8')).at(-1)).toEqual(written);
  });

  it('auto-rotates once the file reaches the threshold', async () => {
    for (let i = 0; i < 5; i++)
      appendMessageSync(bus, { project_id: 'p', body: `m${i}` }, { rotateAtBytes: 300 });
    await appendMessages(bus, [{ project_id: 'p', body: 'async' }], { rotateAtBytes: 300 });
    const archives = listArchives(bus);
    expect(archives.length).toBeGreaterThan(0);
    for (const a of archives) expect(a).toMatch(/TASK-MESSAGE-BUS\.md\.\d{8}-\d{6}\.archived$/);
    const bodies = [...archives, bus].flatMap((f) =>
      parseBus(readFileSync(f, 'utf8')).map((m) => m.body),
    );
    expect(bodies).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'async']);
    expect(lstatSync(bus).isFile()).toBe(true);
  });

  it('reports an impossible location (below a regular file) as a configuration error', () => {
    // Tests run as root, which ignores directory modes; a path below a file fails for anyone.
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const error = errorOf(() =>
      appendMessageSync(join(file, 'BUS.md'), { project_id: 'p', body: 'x' }),
    );
    expect(error.exitCode).toBe(3);
  });
});
