/**
 * Load test against the real `conductor serve` (run after `node scripts/build.mjs --no-web`):
 * the seed's 50 concurrent task creations, then 500 concurrent instant tasks. Reports
 * completions, error rate, create -> done times, the server's peak RSS / fds (sampled every
 * 100 ms) and what is left after, next to the idle server's figures measured first.
 */
import { loadavg } from 'node:os';
import {
  childCount,
  closeClientSockets,
  fdKinds,
  formatKinds,
  fdCount,
  httpJson,
  instantConfig,
  listTasks,
  PeakSampler,
  percentile,
  rssMb,
  sleep,
  startServer,
  stopServer,
  type Server,
} from './load-server.js';

const POLL_MS = 100;
const DEADLINE_MS = 10 * 60_000;

interface Result {
  name: string;
  tasks: number;
  done: number;
  failed: number;
  httpErrors: number;
  avgMs: number;
  p95Ms: number;
  totalMs: number;
  peakRss: number;
  peakFds: number;
  fdsAfter: number;
  peakKinds: string;
  kindsAfter: string;
  childrenAfter: number;
  rssAfter: number;
}

async function scenario(server: Server, name: string, count: number): Promise<Result> {
  const project = `load-${name}`;
  const sampler = new PeakSampler(server.pid);
  const created = new Map<string, number>();
  const finished = new Map<string, number>();
  let failed = 0;
  let httpErrors = 0;
  const t0 = performance.now();
  const posts = Array.from({ length: count }, async (_, i) => {
    const taskId = `t-${String(i).padStart(4, '0')}`;
    const start = performance.now();
    try {
      const r = await httpJson('POST', `${server.url}/api/v1/tasks`, {
        project_id: project,
        task_id: taskId,
        prompt: `load task ${i}\n`,
      });
      if (r.status < 200 || r.status >= 300) {
        httpErrors++;
        console.error(`  ${taskId}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
        return;
      }
      created.set(taskId, start);
    } catch (err) {
      httpErrors++;
      console.error(`  ${taskId}: ${(err as Error).message}`);
    }
  });
  let postsDone = false;
  void Promise.all(posts).then(() => (postsDone = true));
  // Poll the task list until every created task has ended (done, failed or stopped).
  while (performance.now() - t0 < DEADLINE_MS) {
    await sleep(POLL_MS);
    const now = performance.now();
    const r = await listTasks(server.url, project);
    for (const t of r) {
      if (!created.has(t.task_id) || finished.has(t.task_id)) continue;
      if (t.status === 'done') finished.set(t.task_id, now);
      else if (t.status === 'failed' || t.status === 'stopped') {
        finished.set(t.task_id, now);
        failed++;
        console.error(`  ${t.task_id}: ended ${t.status}`);
      }
    }
    if (postsDone && finished.size >= created.size) break;
  }
  const totalMs = performance.now() - t0;
  sampler.stop();
  const times = [...finished.entries()].map(([id, end]) => end - created.get(id)!);
  closeClientSockets();
  // Give the server a moment to close what runs held, then look for leaks.
  const settle = performance.now();
  while (childCount(server.pid) > 0 && performance.now() - settle < 10_000) await sleep(100);
  await sleep(1000);
  return {
    name,
    tasks: count,
    done: finished.size - failed,
    failed,
    httpErrors,
    avgMs: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
    p95Ms: percentile(times, 95),
    totalMs,
    peakRss: sampler.peakRss,
    peakFds: sampler.peakFds,
    fdsAfter: fdCount(server.pid),
    peakKinds: formatKinds(sampler.peakKinds),
    kindsAfter: formatKinds(fdKinds(server.pid)),
    childrenAfter: childCount(server.pid),
    rssAfter: rssMb(server.pid),
  };
}

const server = await startServer(instantConfig());
try {
  const health = await httpJson('GET', `${server.url}/api/v1/health`);
  if (health.status !== 200) throw new Error(`health: HTTP ${health.status}`);
  await sleep(1000);
  const idleRss = rssMb(server.pid);
  const idleFds = fdCount(server.pid);
  const idleChildren = childCount(server.pid);
  const idleKinds = formatKinds(fdKinds(server.pid));
  const load = loadavg().map((v) => v.toFixed(2));
  console.log(`server ${server.url} pid ${server.pid}, root ${server.root}`);
  console.log(`load average ${load.join(' ')}; ${new Date().toISOString()}`);
  console.log(
    `idle: RSS ${idleRss.toFixed(1)} MB, fds ${idleFds}, child processes ${idleChildren}`,
  );

  const results = [await scenario(server, 'seed50', 50), await scenario(server, 'burst500', 500)];
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  console.log();
  console.log(
    row([
      'scenario',
      'done/tasks',
      'error rate',
      'avg create->done',
      'p95',
      'total',
      'peak RSS',
      'peak fds',
      'after: fds / children / RSS',
    ]),
  );
  console.log(row(Array(9).fill('---')));
  for (const r of results) {
    const errors = (r.failed + r.httpErrors) / r.tasks;
    console.log(
      row([
        `${r.tasks} concurrent`,
        `${r.done}/${r.tasks}`,
        `${(errors * 100).toFixed(1)}%`,
        `${(r.avgMs / 1000).toFixed(2)} s`,
        `${(r.p95Ms / 1000).toFixed(2)} s`,
        `${(r.totalMs / 1000).toFixed(2)} s (${((r.done / r.totalMs) * 1000).toFixed(0)} tasks/s)`,
        `${r.peakRss.toFixed(1)} MB`,
        r.peakFds,
        `${r.fdsAfter} / ${r.childrenAfter} / ${r.rssAfter.toFixed(1)} MB`,
      ]),
    );
  }
  for (const r of results)
    console.log(`${r.tasks} concurrent: fds at peak: ${r.peakKinds}; after: ${r.kindsAfter}`);
  console.log(
    `baseline (idle, before load): RSS ${idleRss.toFixed(1)} MB, fds ${idleFds}, children ${idleChildren}`,
  );
  console.log(`idle fds: ${idleKinds}`);
  console.log(`completion times observed by polling every ${POLL_MS} ms (+ list time)`);
  const bad = results.filter(
    (r) => r.done !== r.tasks || r.fdsAfter > idleFds + 2 || r.childrenAfter > idleChildren,
  );
  if (bad.length > 0) {
    console.error(`FAIL: ${bad.map((r) => r.name).join(', ')} (incomplete, errors or leak)`);
    process.exitCode = 1;
  }
} finally {
  await stopServer(server);
}
