import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capLogFile, rotateBySize, truncationNote, watchLogCaps } from './log-caps.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-rotation-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('capLogFile', () => {
  it('keeps the head, appends a note, and stays bounded while an O_APPEND writer continues', () => {
    const path = join(dir, 'agent-stdout.txt');
    // The agent's fd, opened the way the runner opens it.
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, 'A'.repeat(1500));
      expect(capLogFile(path, 1000)).toBe(500 - truncationNote(1000).length);
      const note = truncationNote(1000);
      expect(readFileSync(path, 'utf8')).toBe('A'.repeat(1000) + note);
      writeSync(fd, 'B'.repeat(5000));
      capLogFile(path, 1000);
      expect(readFileSync(path, 'utf8')).toBe('A'.repeat(1000) + note);
      expect(statSync(path).size).toBe(1000 + note.length);
    } finally {
      closeSync(fd);
    }
  });

  it('leaves small and missing files alone', () => {
    const path = join(dir, 'small.txt');
    writeFileSync(path, 'hello');
    expect(capLogFile(path, 1000)).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('hello');
    expect(capLogFile(join(dir, 'none.txt'), 10)).toBe(0);
  });
});

describe('watchLogCaps', () => {
  it('keeps a growing log within the cap while running and after stop', async () => {
    const path = join(dir, 'agent-stderr.txt');
    const fd = openSync(path, 'a');
    const watcher = watchLogCaps([path, join(dir, 'missing.txt')], 2000, 20);
    try {
      const note = truncationNote(2000);
      const deadline = Date.now() + 10_000;
      writeSync(fd, 'C'.repeat(10_000));
      while (statSync(path).size > 2000 + note.length) {
        if (Date.now() > deadline) throw new Error('log was never capped');
        await new Promise((r) => setTimeout(r, 10));
      }
      writeSync(fd, 'D'.repeat(10_000));
      watcher.stop();
      expect(readFileSync(path, 'utf8')).toBe('C'.repeat(2000) + note);
    } finally {
      watcher.stop();
      closeSync(fd);
    }
  });
});

describe('rotateBySize', () => {
  it('shifts copies and keeps at most `keep` of them', () => {
    const path = join(dir, 'audit.jsonl');
    for (let i = 1; i <= 4; i++) {
      writeFileSync(path, `${String(i).repeat(200)}\n`);
      expect(rotateBySize(path, 100, 2)).toBe(true);
    }
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(`${path}.1`, 'utf8')[0]).toBe('4');
    expect(readFileSync(`${path}.2`, 'utf8')[0]).toBe('3');
    expect(existsSync(`${path}.3`)).toBe(false);
    writeFileSync(path, 'small\n');
    expect(rotateBySize(path, 100, 2)).toBe(false);
  });
});
