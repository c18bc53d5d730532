/**
 * Soak test (run after `node scripts/build.mjs --no-web`): `npx tsx bench/soak.ts --minutes 30`
 * (default 5). Creates instant tasks at a steady rate with bounded concurrency against one real
 * `conductor serve`; prints completed, failed, RSS, fds and root size every minute; fails when
 * any task failed or RSS / fds grew steadily (every minute above the one before, overall slope
 * above a small threshold).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  closeClientSockets,
  duBytes,
  fdCount,
  httpJson,
  instantConfig,
  listTasks,
  rssMb,
  sleep,
  startServer,
  stopServer,
} from './load-server.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
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
const server = await startServer(instantConfig());
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
  rss: number;
  fds: number;
}
const samples: Sample[] = [];

try {
  console.log(`server ${server.url} pid ${server.pid}, root ${server.root}`);
  console.log(
    `${minutes} min at ${rate} tasks/s, at most ${maxInFlight} in flight; ${new Date().toISOString()}`,
  );
  await sleep(1000);
  console.log(`idle: RSS ${rssMb(server.pid).toFixed(1)} MB, fds ${fdCount(server.pid)}`);
  console.log(
    '| minute | created | completed | failed | in flight | RSS MB | fds | root MiB | load avg |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
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
      // Idle client sockets would count as server fds; close them before sampling.
      closeClientSockets();
      await sleep(200);
      const s = { minute: samples.length + 1, rss: rssMb(server.pid), fds: fdCount(server.pid) };
      samples.push(s);
      console.log(
        `| ${s.minute} | ${created} | ${completed} | ${failed + httpErrors} | ${pending.size} | ${s.rss.toFixed(1)} | ${s.fds} | ${(duBytes(server.root) / 2 ** 20).toFixed(1)} | ${loadavg()[0]!.toFixed(2)} |`,
      );
    }
    await sleep(Math.max(5, Math.min(100, nextCreate - performance.now())));
  }
  // The last minute's sample when the loop ended right on it.
  if (samples.length < Math.floor(minutes)) {
    closeClientSockets();
    await sleep(200);
    samples.push({ minute: samples.length + 1, rss: rssMb(server.pid), fds: fdCount(server.pid) });
    const s = samples[samples.length - 1]!;
    console.log(
      `| ${s.minute} | ${created} | ${completed} | ${failed + httpErrors} | ${pending.size} | ${s.rss.toFixed(1)} | ${s.fds} | ${(duBytes(server.root) / 2 ** 20).toFixed(1)} | ${loadavg()[0]!.toFixed(2)} |`,
    );
  }
  // Let the last tasks finish.
  const drainEnd = performance.now() + 60_000;
  while (pending.size > 0 && performance.now() < drainEnd) {
    await sleep(200);
    await reap();
  }
  console.log(
    `end: created ${created}, completed ${completed}, failed ${failed}, HTTP errors ${httpErrors}, unfinished ${pending.size}`,
  );

  const problems: string[] = [];
  if (failed + httpErrors + pending.size > 0) problems.push('tasks failed or did not finish');
  for (const key of ['rss', 'fds'] as const) {
    const growth = steadyGrowth(samples.map((s) => s[key]));
    if (growth !== undefined)
      problems.push(`${key} grew steadily (${growth.toFixed(2)} per minute)`);
  }
  if (problems.length > 0) {
    console.error(`FAIL: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else console.log('ok: no failures, RSS and fds flat');
} finally {
  await stopServer(server);
}

/**
 * Least-squares slope per minute over the samples after the first (warm-up); "steady" when it
 * is above 1% of the mean per minute (RSS) or 0.5 fds per minute and most steps go up.
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
  const threshold = Math.max(0.5, my * 0.01);
  return slope > threshold && ups >= (n - 1) * 0.75 ? slope : undefined;
}
