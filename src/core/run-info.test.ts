import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatRunInfo,
  parseRunInfo,
  readRunInfo,
  updateRunInfo,
  writeRunInfo,
  ZERO_TIME,
} from './run-info.js';

const fixtureRuns = join(
  import.meta.dirname,
  '../../test/fixtures/reference/root/demo/task-20260101-000000-fixture/runs',
);

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'run-info-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('run-info.yaml', () => {
  it('reads every reference run-info and writes it back byte for byte', () => {
    const runIds = readdirSync(fixtureRuns);
    expect(runIds.length).toBe(7);
    for (const runId of runIds) {
      const text = readFileSync(join(fixtureRuns, runId, 'run-info.yaml'), 'utf8');
      const info = parseRunInfo(text, join(fixtureRuns, runId));
      expect(info.run_id).toBe(runId);
      expect(formatRunInfo(info)).toBe(text);
    }
  });

  it('parses the reference fields with their types', () => {
    const info = readRunInfo(join(fixtureRuns, '20261126-1457310000-2028-1'));
    expect(info).toMatchObject({
      version: 1,
      project_id: 'demo',
      task_id: 'task-20260101-000000-fixture',
      agent: 'codex',
      exit_code: 2,
      status: 'failed',
      error_summary: 'agent usage error',
      agent_version: 'codex-cli 0.99.0',
    });
    expect(typeof info.pid).toBe('number');
  });

  it('fills ids from the path when the file is missing or partial', () => {
    const root = tempDir();
    const runDir = join(root, 'proj', 'task-a', '20260101-0000000000-1-1');
    cpSync(join(fixtureRuns, '20261126-1457060000-1789-1'), runDir, { recursive: true });
    writeFileSync(join(runDir, 'run-info.yaml'), 'status: running\n');
    const info = readRunInfo(runDir);
    expect(info).toMatchObject({
      project_id: 'proj',
      task_id: 'task-a',
      run_id: '20260101-0000000000-1-1',
    });
    expect(info.end_time).toBe(ZERO_TIME);
    rmSync(join(runDir, 'run-info.yaml'));
    expect(readRunInfo(runDir)).toMatchObject({ version: 0, status: 'unknown', task_id: 'task-a' });
  });

  it('keeps unknown keys written by other tools across updates', () => {
    const runDir = tempDir();
    const base = readRunInfo(join(fixtureRuns, '20261126-1457060000-1789-1'));
    writeRunInfo(runDir, { ...base, custom_tool_field: 'keep me', nested: { a: [1, 2] } });
    const updated = updateRunInfo(runDir, (info) => ({
      ...info,
      status: 'stopped',
      input_tokens: 42,
    }));
    expect(updated.status).toBe('stopped');
    const reread = readRunInfo(runDir);
    expect(reread.custom_tool_field).toBe('keep me');
    expect(reread.nested).toEqual({ a: [1, 2] });
    expect(reread.input_tokens).toBe(42);
    expect(readdirSync(runDir)).toEqual(['run-info.yaml']);
  });

  it('quotes strings that YAML would read as another type', () => {
    const runDir = tempDir();
    const base = readRunInfo(join(fixtureRuns, '20261126-1457060000-1789-1'));
    writeRunInfo(runDir, {
      ...base,
      agent_version: '1.0',
      commandline: 'true',
      error_summary: 'a: b # c',
    });
    const info = readRunInfo(runDir);
    expect(info.agent_version).toBe('1.0');
    expect(info.commandline).toBe('true');
    expect(info.error_summary).toBe('a: b # c');
  });

  it('never leaves a torn file for concurrent readers', () => {
    const runDir = tempDir();
    const base = readRunInfo(join(fixtureRuns, '20261126-1457060000-1789-1'));
    for (let i = 0; i < 200; i += 1) {
      writeRunInfo(runDir, { ...base, commandline: 'x'.repeat(i * 50), pid: i });
      const info = readRunInfo(runDir);
      expect(info.pid).toBe(i);
      expect(info.agent_version).toBe(base.agent_version);
    }
  });
});
