import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followBus, type FollowOptions } from './follow.js';
import { formatRecords, type BusMessage } from './record.js';
import { listArchives, rotateIfLarger } from './rotate.js';
import { appendMessageSync, appendMessagesSync } from './writer.js';

let dir: string;
let bus: string;
let controller: AbortController;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-follow-'));
  bus = join(dir, 'TASK-MESSAGE-BUS.md');
  controller = new AbortController();
});
afterEach(() => {
  controller.abort();
  rmSync(dir, { recursive: true, force: true });
});

/** Start following; `seen` fills as messages arrive. */
function follow(options: FollowOptions = {}): { seen: BusMessage[]; done: Promise<void> } {
  const seen: BusMessage[] = [];
  const done = (async () => {
    for await (const m of followBus(bus, {
      pollIntervalMs: 50,
      ...options,
      signal: controller.signal,
    })) {
      seen.push(m);
    }
  })();
  return { seen, done };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const post = (body: string): BusMessage => appendMessageSync(bus, { project_id: 'p', body });
const bodies = (list: BusMessage[]): string[] => list.map((m) => m.body);

describe('followBus', () => {
  it('from the end: only new messages, in order', async () => {
    post('old');
    const { seen, done } = follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    post('new 1');
    appendMessagesSync(bus, [
      { project_id: 'p', body: 'new 2' },
      { project_id: 'p', body: 'new 3' },
    ]);
    await until(() => seen.length === 3, '3 messages');
    expect(bodies(seen)).toEqual(['new 1', 'new 2', 'new 3']);
    controller.abort();
    await done;
  });

  it('from the start, from a tail, and after a msg_id', async () => {
    const first = post('a');
    post('b');
    post('c');
    const fromStart = follow({ start: 'start' });
    const fromTail = follow({ start: { tail: 2 } });
    const afterFirst = follow({ start: { afterMsgId: first.msg_id } });
    await until(() => fromStart.seen.length === 3 && fromTail.seen.length === 2, 'backlog');
    await until(() => afterFirst.seen.length === 2, 'since backlog');
    post('d');
    await until(
      () =>
        fromStart.seen.length === 4 && fromTail.seen.length === 3 && afterFirst.seen.length === 3,
      'new message everywhere',
    );
    expect(bodies(fromStart.seen)).toEqual(['a', 'b', 'c', 'd']);
    expect(bodies(fromTail.seen)).toEqual(['b', 'c', 'd']);
    expect(bodies(afterFirst.seen)).toEqual(['b', 'c', 'd']);
    controller.abort();
    await Promise.all([fromStart.done, fromTail.done, afterFirst.done]);
  });

  it('counts a tail after the filter, as bus read does', async () => {
    for (let i = 0; i < 6; i++) {
      appendMessageSync(bus, {
        project_id: 'p',
        type: i % 3 === 0 ? 'FACT' : 'INFO',
        body: `m${i}`,
      });
    }
    const { seen, done } = follow({ start: { tail: 2 }, filter: { types: ['FACT'] } });
    await until(() => seen.length === 2, 'two facts');
    appendMessageSync(bus, { project_id: 'p', type: 'INFO', body: 'skipped' });
    appendMessageSync(bus, { project_id: 'p', type: 'FACT', body: 'new fact' });
    await until(() => seen.length === 3, 'the new fact');
    expect(bodies(seen)).toEqual(['m0', 'm3', 'new fact']);
    controller.abort();
    await done;
  });

  it('rejects an unknown since id', async () => {
    post('a');
    const iterator = followBus(bus, {
      start: { afterMsgId: 'MSG-NOPE' },
      signal: controller.signal,
    });
    await expect(iterator.next()).rejects.toThrow('since id not found: MSG-NOPE');
  });

  it('waits for a missing file and reads it from its beginning', async () => {
    const { seen, done } = follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    post('first ever');
    await until(() => seen.length === 1, 'first message');
    expect(bodies(seen)).toEqual(['first ever']);
    controller.abort();
    await done;
  });

  it('emits a record written in pieces exactly once, whole', async () => {
    post('before');
    const { seen, done } = follow();
    await new Promise((resolve) => setTimeout(resolve, 60));
    const text = formatRecords(
      [
        {
          msg_id: 'MSG-PIECES',
          ts: '2026-01-01T00:00:00Z',
          type: 'INFO',
          project_id: 'p',
          task_id: '',
          run_id: '',
          body: 'line one\nline two\nline three',
        },
      ],
      1,
    );
    // Cut right after a complete body line: looks complete until the rest arrives.
    const cut = text.indexOf('line two\n') + 'line two\n'.length;
    writeFileSync(bus, text.slice(0, cut), { flag: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    writeFileSync(bus, text.slice(cut), { flag: 'a' });
    await until(() => seen.length === 1, 'the pieced record');
    post('after');
    await until(() => seen.length === 2, 'the next record');
    expect(bodies(seen)).toEqual(['line one\nline two\nline three', 'after']);
    controller.abort();
    await done;
  });

  it('keeps every message across several rotations', async () => {
    const { seen, done } = follow({ start: 'start' });
    const expected: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) {
        expected.push(`r${round} m${i}`);
        post(`r${round} m${i}`);
      }
      expect(rotateIfLarger(bus, 10)).toMatch(/\.archived$/);
    }
    expected.push('last');
    post('last');
    await until(() => seen.length === expected.length, 'all messages');
    expect(bodies(seen)).toEqual(expected);
    expect(listArchives(bus)).toHaveLength(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(expected.length);
    controller.abort();
    await done;
  });

  it('starts over when the file is truncated in place', async () => {
    post('a');
    post('b');
    const { seen, done } = follow({ start: 'start' });
    await until(() => seen.length === 2, 'backlog');
    writeFileSync(bus, ''); // same inode, emptied
    post('after truncation');
    await until(() => seen.length === 3, 'message after truncation');
    expect(bodies(seen)).toEqual(['a', 'b', 'after truncation']);
    controller.abort();
    await done;
  });

  it('stops promptly when aborted', async () => {
    post('x');
    const { done } = follow({ pollIntervalMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    controller.abort();
    await done;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
