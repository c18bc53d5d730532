import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog } from './audit.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('audit log', () => {
  it('appends JSON lines and rotates past the size cap, keeping every line', () => {
    const root = mkdtempSync(join(tmpdir(), 'audit-'));
    temps.push(root);
    const audit = createAuditLog(root, 1000);
    for (let i = 0; i < 30; i += 1) {
      audit.record({
        action: 'task.create',
        request_id: `req-${i}`,
        project_id: 'p',
        task_id: `t${i}`,
      });
    }
    expect(existsSync(`${audit.path}.1`)).toBe(true);
    const files = [audit.path, `${audit.path}.1`, `${audit.path}.2`, `${audit.path}.3`].filter(
      (f) => existsSync(f),
    );
    const ids = files
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
      .map((line) => (JSON.parse(line) as { request_id: string }).request_id);
    expect(new Set(ids).size).toBe(30);
    expect(readFileSync(audit.path, 'utf8').length).toBeLessThan(1000);
  });
});
