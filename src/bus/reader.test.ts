import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConductorError } from '../core/errors.js';
import { readBus, readBusSync, readTailSync, TAIL_CHUNK_BYTES } from './reader.js';
import { formatRecord, parseBus } from './record.js';
import { appendMessagesSync, type MessageDraft } from './writer.js';

let dir: string;
let bus: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-reader-'));
  bus = join(dir, 'PROJECT-MESSAGE-BUS.md');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fill(count: number, make: (i: number) => Partial<MessageDraft> = () => ({})): void {
  const drafts: MessageDraft[] = [];
  for (let i = 0; i < count; i++)
    drafts.push({ project_id: 'p', body: `message ${i}`, ...make(i) });
  appendMessagesSync(bus, drafts);
}

describe('readBus', () => {
  it('reads all messages in file order', async () => {
    fill(5);
    expect((await readBus(bus)).map((m) => m.body)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `message ${i}`),
    );
    expect(readBusSync(bus)).toEqual(await readBus(bus));
  });

  it('reads the last N from the end, across 64 KiB chunks', () => {
    // Bodies big enough that the tail spans several chunks.
    fill(40, (i) => ({ body: `message ${i}\n${'x'.repeat(10_000)}` }));
    const all = parseBus(readFileSync(bus, 'utf8'));
    expect(readTailSync(bus, 3)).toEqual(all.slice(-3));
    expect(readTailSync(bus, 15)).toEqual(all.slice(-15)); // > 2 chunks back
    expect(15 * 10_000).toBeGreaterThan(2 * TAIL_CHUNK_BYTES);
    expect(readTailSync(bus, 100)).toEqual(all);
    expect(readBusSync(bus, { tail: 1 })[0]!.body.startsWith('message 39\n')).toBe(true);
  });

  it('tail ignores an incomplete last record', () => {
    fill(3);
    const partial = formatRecord({
      msg_id: 'MSG-PARTIAL',
      ts: '2026-01-01T00:00:00Z',
      type: 'INFO',
      project_id: 'p',
      task_id: '',
      run_id: '',
      body: 'half',
    }).slice(0, -3);
    writeFileSync(bus, `\n${partial}`, { flag: 'a' });
    expect(readTailSync(bus, 2).map((m) => m.body)).toEqual(['message 1', 'message 2']);
    expect(readBusSync(bus)).toHaveLength(3);
  });

  it('returns messages strictly after a msg_id; an unknown id is NotFound', () => {
    fill(5);
    const all = readBusSync(bus);
    expect(readBusSync(bus, { sinceId: all[2]!.msg_id })).toEqual(all.slice(3));
    expect(readBusSync(bus, { sinceId: all[4]!.msg_id })).toEqual([]);
    try {
      readBusSync(bus, { sinceId: 'MSG-NOPE' });
      expect.unreachable();
    } catch (error) {
      expect(isConductorError(error) && error.code).toBe('NOT_FOUND');
      expect((error as Error).message).toBe('since id not found: MSG-NOPE');
    }
  });

  it('filters by type (case-insensitive), task and run, then applies tail', () => {
    fill(10, (i) => ({
      type: i % 2 === 0 ? 'FACT' : 'PROGRESS',
      task_id: i < 5 ? 't1' : 't2',
      run_id: i === 7 ? 'r7' : '',
    }));
    expect(readBusSync(bus, { types: ['fact'] }).map((m) => m.body)).toEqual(
      [0, 2, 4, 6, 8].map((i) => `message ${i}`),
    );
    expect(readBusSync(bus, { types: ['FACT'], taskId: 't2', tail: 1 }).map((m) => m.body)).toEqual(
      ['message 8'],
    );
    expect(readBusSync(bus, { runId: 'r7' }).map((m) => m.body)).toEqual(['message 7']);
  });

  it('names the missing file', async () => {
    const missing = join(dir, 'nope', 'TASK-MESSAGE-BUS.md');
    await expect(readBus(missing)).rejects.toThrow(`message bus not found: ${missing}`);
    expect(() => readBusSync(missing, { tail: 5 })).toThrow(/message bus not found/);
  });

  it('reads legacy lines with correct ids even through tail', () => {
    writeFileSync(bus, '[2026-01-01 00:00:00] FACT: old one\n[2026-01-01 00:00:01] second\n');
    fill(2);
    const tail = readTailSync(bus, 3);
    expect(tail.map((m) => m.msg_id.slice(0, 21))).toEqual([
      'LEGACY-LINE-000000002',
      ...tail.slice(1).map((m) => m.msg_id.slice(0, 21)),
    ]);
    expect(tail[0]!.body).toBe('second');
  });
});
