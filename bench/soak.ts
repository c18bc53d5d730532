/**
 * Soak test (run after `node scripts/build.mjs --no-web`): `npx tsx bench/soak.ts --minutes 30`
 * (default 5). Creates instant tasks at a steady rate with bounded concurrency against one real
 * `conductor serve`; prints completed, failed, RSS, fds and root size every minute; fails when
 * any task failed, fds grew steadily, or the heap after GC grew by more than a bound per task.
 * The heap used after a full GC is read every minute through the server's inspector (no effect
 * on RSS). `--snapshots 1,10,30` also writes heap snapshots at those minutes and diffs the
 * first and last per constructor (bench/heap-snapshot.ts); snapshots inflate RSS, so the RSS
 * column means little in such a run.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  closeClientSockets,
  duBytes,
  fdCount,
  freePort,
  heapAfterGcMb,
  httpJson,
  instantConfig,
  listTasks,
  rssMb,
  sleep,
  startServer,
  stopServer,
} from './load-server.js';
import { diff, summarise, takeSnapshot, type HeapSummary } from './heap-snapshot.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    snapshots: { type: 'string', default: '' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const maxInFlight = Number(values.concurrency);
if (!(minutes > 0) || !(rate > 0) || !(maxInFlight > 0)) {
  console.error('usage: soak.ts [--minutes N] [--rate tasks/s] [--concurrency N]');
  process.exit(2);
}

const PROJECT = 'soak';
/**
 * The server indexes every run on disk in memory (~2.5-3 KB per one-run task: paths, times,
 * state; docs/benchmarks.md "## Load"), so the heap grows with the root by design; above this
 * per finished task something else outlives its run. Judged over the second half of the run,
 * after V8's code and the event backlog warmed up. A coarse guard: smaller per-task leaks
 * show in the per-constructor diff of `--snapshots`.
 */
const HEAP_BYTES_PER_TASK = 4096;
const snapshotAt = new Set(values.snapshots.split(',').filter(Boolean).map(Number));
const heapDir = mkdtempSync(join(tmpdir(), 'conductor-soak-heap-'));
const inspectPort = await freePort();
const server = await startServer(instantConfig(), [
  `--inspect=127.0.0.1:${inspectPort}`,
  '--expose-gc',
  '--heapsnapshot-signal=SIGUSR2',
  `--diagnostic-dir=${heapDir}`,
]);
let created = 0;
let httpErrors = 0;
let completed = 0;
let failed = 0;
const pending = new Set<string>();

/** Folds the server's view of pending tasks into the counters. */
async function reap(): Promise<void> {
  if (pending.size === 0) return;
  for (const t of await listTasks(server.url, PROJECT)) {
    if (!pending.has(t.task_id)) continue;
    if (t.status === 'done') completed++;
    else if (t.status === 'failed' || t.status === 'stopped') {
      failed++;
      console.error(`  ${t.task_id}: ended ${t.status}`);
    } else continue;
    pending.delete(t.task_id);
  }
}

interface Sample {
  minute: number;
  completed: number;
  rss: number;
  fds: number;
  heapMb: number;
}
const samples: Sample[] = [];
const snapshots: { minute: number; summary: HeapSummary }[] = [];

/** One row of the table: RSS, heap after GC, fds, root size (and a snapshot if asked). */
async function sampleMinute(): Promise<void> {
  // Idle client sockets would count as server fds; close them before sampling.
  closeClientSockets();
  await sleep(200);
  const s: Sample = {
    minute: samples.length + 1,
    completed,
    rss: rssMb(server.pid),
    fds: fdCount(server.pid),
    heapMb: await heapAfterGcMb(inspectPort),
  };
  if (snapshotAt.has(s.minute)) {
    const summary = summarise(await takeSnapshot(server.pid, heapDir));
    snapshots.push({ minute: s.minute, summary });
  }
  samples.push(s);
  console.log(
    `| ${s.minute} | ${created} | ${completed} | ${failed + httpErrors} | ${pending.size} | ${s.rss.toFixed(1)} | ${s.heapMb.toFixed(1)} | ${s.fds} | ${(duBytes(server.root) / 2 ** 20).toFixed(1)} | ${loadavg()[0]!.toFixed(2)} |`,
  );
}

try {
  console.log(`server ${server.url} pid ${server.pid}, root ${server.root}, heap ${heapDir}`);
  console.log(
    `${minutes} min at ${rate} tasks/s, at most ${maxInFlight} in flight; ${new Date().toISOString()}`,
  );
  await sleep(1000);
  const idle = { rss: rssMb(server.pid), heap: await heapAfterGcMb(inspectPort) };
  console.log(
    `idle: RSS ${idle.rss.toFixed(1)} MB, heap after GC ${idle.heap.toFixed(1)} MB, fds ${fdCount(server.pid)}`,
  );
  console.log(
    '| minute | created | completed | failed | in flight | RSS MB | heap after GC MB | fds | root MiB | load avg |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const t0 = performance.now();
  const endAt = t0 + minutes * 60_000;
  let nextMinute = t0 + 60_000;
  let nextCreate = t0;
  while (performance.now() < endAt) {
    const now = performance.now();
    if (now >= nextCreate && pending.size < maxInFlight) {
      const taskId = `s-${String(created).padStart(6, '0')}`;
      created++;
      pending.add(taskId);
      nextCreate += 1000 / rate;
      const r = await httpJson('POST', `${server.url}/api/v1/tasks`, {
        project_id: PROJECT,
        task_id: taskId,
        prompt: `soak ${taskId}\n`,
      });
      if (r.status < 200 || r.status >= 300) {
        httpErrors++;
        pending.delete(taskId);
        console.error(`  ${taskId}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
      }
      continue;
    }
    await reap();
    if (now >= nextMinute) {
      nextMinute += 60_000;
      await sampleMinute();
    }
    await sleep(Math.max(5, Math.min(100, nextCreate - performance.now())));
  }
  // The last minute's sample when the loop ended right on it.
  if (samples.length < Math.floor(minutes)) await sampleMinute();
  // Let the last tasks finish.
  const drainEnd = performance.now() + 60_000;
  while (pending.size > 0 && performance.now() < drainEnd) {
    await sleep(200);
    await reap();
  }
  console.log(
    `end: created ${created}, completed ${completed}, failed ${failed}, HTTP errors ${httpErrors}, unfinished ${pending.size}`,
  );
  const peak = Math.max(...samples.map((s) => s.rss));
  const first = samples[0];
  const last = samples.at(-1);
  console.log(
    `RSS idle / minute 1 / last / peak: ${idle.rss.toFixed(1)} / ${first?.rss.toFixed(1)} / ${last?.rss.toFixed(1)} / ${peak.toFixed(1)} MB; heap after GC idle / minute 1 / last: ${idle.heap.toFixed(1)} / ${first?.heapMb.toFixed(1)} / ${last?.heapMb.toFixed(1)} MB`,
  );

  const problems: string[] = [];
  if (failed + httpErrors + pending.size > 0) problems.push('tasks failed or did not finish');
  const fdGrowth = steadyGrowth(samples.map((s) => s.fds));
  if (fdGrowth !== undefined)
    problems.push(`fds grew steadily (${fdGrowth.toFixed(2)} per minute)`);
  const middle = samples[Math.floor((samples.length - 1) / 2)];
  if (middle !== undefined && last !== undefined && last !== middle) {
    const tasks = Math.max(1, last.completed - middle.completed);
    const perTask = ((last.heapMb - middle.heapMb) * 2 ** 20) / tasks;
    console.log(
      `heap after GC, minute ${middle.minute} -> ${last.minute}: ${(perTask / 1024).toFixed(2)} KB per finished task`,
    );
    if (perTask > HEAP_BYTES_PER_TASK)
      problems.push(`heap after GC grew ${(perTask / 1024).toFixed(2)} KB per task`);
  }
  const a = snapshots[0];
  const b = snapshots.at(-1);
  if (a !== undefined && b !== undefined && a !== b) {
    console.log(`largest heap growth by constructor, minute ${a.minute} -> ${b.minute}:`);
    for (const line of diff(a.summary, b.summary)) console.log(`  ${line}`);
  }
  if (problems.length > 0) {
    console.error(`FAIL: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else console.log('ok: no failures, fds flat, heap after GC bounded');
  console.log(`heap snapshots (if any): ${heapDir}`);
} finally {
  await stopServer(server);
}

/**
 * Least-squares slope per minute over the samples after the first (warm-up); "steady" when it
 * is above 0.5 per minute and most steps go up.
 */
function steadyGrowth(series: number[]): number | undefined {
  const ys = series.slice(1);
  if (ys.length < 3) return undefined;
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  const slope = num / den;
  let ups = 0;
  for (let i = 1; i < n; i++) if (ys[i]! > ys[i - 1]!) ups++;
  return slope > 0.5 && ups >= (n - 1) * 0.75 ? slope : undefined;
}
