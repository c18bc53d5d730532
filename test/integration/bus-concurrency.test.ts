import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followBus } from '../../src/bus/follow.js';
import { parseBus, type BusMessage } from '../../src/bus/record.js';
import { listArchives } from '../../src/bus/rotate.js';

const REPO = resolve(import.meta.dirname, '../..');
const WORKER = join(REPO, 'test/fixtures/bus/append-worker.ts');
const WRITERS = 8;
const PER_WRITER = 500;

let dir: string;
let bus: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bus-concurrency-'));
  bus = join(dir, 'TASK-MESSAGE-BUS.md');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runWriter(id: number, rotateAtBytes: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, bus, String(id), String(PER_WRITER), '1', String(rotateAtBytes)],
      // cwd: `--import tsx` resolves from the working folder.
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`writer ${id} exited ${code}: ${stderr}`)),
    );
  });
}

/** Every message exactly once, intact, each writer's messages in its own order. */
function checkAll(messages: BusMessage[]): void {
  expect(messages).toHaveLength(WRITERS * PER_WRITER);
  const next = new Array<number>(WRITERS).fill(0);
  const ids = new Set<string>();
  for (const m of messages) {
    const match = /^w(\d+) n(\d+)$/.exec(m.body);
    expect(match, `intact body, got ${JSON.stringify(m.body)}`).not.toBeNull();
    const writer = Number(match![1]);
    expect(Number(match![2])).toBe(next[writer]);
    next[writer]! += 1;
    expect(m).toMatchObject({ type: 'PROGRESS', project_id: 'bench', task_id: 't1', run_id: '' });
    ids.add(m.msg_id);
  }
  expect(next).toEqual(new Array<number>(WRITERS).fill(PER_WRITER));
  expect(ids.size).toBe(messages.length);
}

async function runScenario(
  rotateAtBytes: number,
): Promise<{ onDisk: BusMessage[]; followed: BusMessage[] }> {
  const controller = new AbortController();
  const followed: BusMessage[] = [];
  const follower = (async () => {
    for await (const m of followBus(bus, {
      start: 'start',
      signal: controller.signal,
      pollIntervalMs: 50,
    })) {
      followed.push(m);
      if (followed.length === WRITERS * PER_WRITER) controller.abort();
    }
  })();
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => runWriter(id, rotateAtBytes)));
  const deadline = Date.now() + 30_000;
  while (followed.length < WRITERS * PER_WRITER && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  controller.abort();
  await follower;
  const files = [...listArchives(bus), bus];
  const onDisk = files.flatMap((f) => parseBus(readFileSync(f, 'utf8')));
  return { onDisk, followed };
}

describe('bus under concurrent writer processes', () => {
  it(`${WRITERS} processes x ${PER_WRITER} messages into one bus, with a follower`, async () => {
    const { onDisk, followed } = await runScenario(0);
    expect(listArchives(bus)).toHaveLength(0);
    checkAll(onDisk);
    checkAll(followed);
    expect(followed.map((m) => m.msg_id)).toEqual(onDisk.map((m) => m.msg_id));
  });

  it('the same while the bus rotates several times', async () => {
    const { onDisk, followed } = await runScenario(64 * 1024);
    expect(listArchives(bus).length).toBeGreaterThanOrEqual(5);
    checkAll(onDisk);
    checkAll(followed);
    // The follower reads archives oldest first, then the live file: the same order as on disk.
    expect(followed.map((m) => m.msg_id)).toEqual(onDisk.map((m) => m.msg_id));
  });
});
