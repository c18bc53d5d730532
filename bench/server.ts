/**
 * Server benchmark: `npx tsx bench/server.ts` (needs `node scripts/build.mjs --no-web`).
 * Starts the real `conductor serve` and reports, each next to a baseline measured in the
 * same run: list 10,000 runs (vs. scanning every run-info.yaml per request, the
 * reference's approach), bus append -> SSE client latency, 200 concurrent SSE clients,
 * req/s on /api/v1/health and the task list (vs. a bare node:http server), idle RSS and
 * memory per concurrently supervised run. Options: --quick (smaller counts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appendMessage } from '../src/bus/writer.js';
import { scanRuns } from '../src/core/store.js';
import { makeRuns } from './server-fixtures.js';

const REPO = resolve(import.meta.dirname, '..');
const PACKAGE = process.env.CONDUCTOR_BENCH_PACKAGE ?? REPO;
const QUICK = process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'server-bench-'));
const children: ChildProcess[] = [];

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const ms = (v: number): string => `${v.toFixed(2)} ms`;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startServer(
  root: string,
  extraEnv: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<{ url: string; proc: ChildProcess }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('CONDUCTOR_') && !k.startsWith('JRUN_')) env[k] = v;
  const proc = spawn(
    process.execPath,
    [join(PACKAGE, 'bin/conductor'), 'serve', '--port', '0', '--root', root, ...args],
    {
      env: { ...env, CONDUCTOR_LOG_LEVEL: 'warn', ...extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(proc);
  let out = '';
  proc.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolveUrl, reject) => {
    proc.stdout.on('data', (d: string) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolveUrl(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url, proc };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest(url, { headers, agent: keepAlive }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const keepAlive = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1000 });

/** Open an SSE stream; `onEvent` gets each `data:` payload of `event: message` frames. */
function sse(url: string, onMessage: (data: string) => void): Promise<() => void> {
  return new Promise((resolveOpen, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (frame.includes('event: message')) onMessage(/data: (.*)/.exec(frame)?.[1] ?? '');
        }
      });
      resolveOpen(() => req.destroy());
    });
    req.on('error', reject);
    req.end();
  });
}

// ---- benchmarks --------------------------------------------------------------------------

async function benchList(): Promise<void> {
  const total = QUICK ? 2_000 : 10_000;
  const root = join(work, 'list');
  makeRuns(root, total);
  const t0 = performance.now();
  const { url, proc } = await startServer(root);
  const startMs = performance.now() - t0;
  const samples: number[] = [];
  const filtered: number[] = [];
  for (let i = 0; i < 300; i++) {
    let t = performance.now();
    const res = await get(`${url}/api/v1/runs?limit=50&offset=${(i * 50) % total}`);
    samples.push(performance.now() - t);
    if (res.status !== 200 || !res.body.includes(`"total":${total}`))
      throw new Error(`bad list response ${res.status}`);
    t = performance.now();
    await get(`${url}/api/v1/runs?status=failed&agent=claude&limit=50`);
    filtered.push(performance.now() - t);
  }
  const scan: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    scanRuns(root);
    scan.push(performance.now() - t);
  }
  console.log(
    `list ${total} runs (GET /api/v1/runs?limit=50): p50 ${ms(pct(samples, 50))}, p99 ${ms(pct(samples, 99))}`,
  );
  console.log(
    `  filtered (status+agent): p50 ${ms(pct(filtered, 50))}, p99 ${ms(pct(filtered, 99))}`,
  );
  console.log(
    `  baseline: scanning every run-info.yaml (per-request disk scan): p50 ${ms(pct(scan, 50))} -> ${(pct(scan, 50) / pct(samples, 50)).toFixed(0)}x slower than the index`,
  );
  console.log(
    `  server start to listening with ${total} runs indexed: ${ms(startMs)}; RSS ${rssMb(proc.pid!).toFixed(1)} MB`,
  );
  await stop(proc);
}

async function benchBusLatency(): Promise<void> {
  const root = join(work, 'bus');
  mkdirSync(join(root, 'p', 't'), { recursive: true });
  const { url, proc } = await startServer(root);
  const bus = join(root, 'p', 't', 'TASK-MESSAGE-BUS.md');
  const streamUrl = `${url}/api/v1/messages/stream?project_id=p&task_id=t`;

  // One client: latency from append (bus writer, as an agent would) to the client.
  const single: number[] = [];
  let pending: ((t: number) => void) | undefined;
  const close1 = await sse(streamUrl, () => pending?.(performance.now()));
  const count = QUICK ? 50 : 200;
  for (let i = 0; i < count; i++) {
    const got = new Promise<number>((r) => (pending = r));
    const t = performance.now();
    await appendMessage(bus, { project_id: 'p', task_id: 't', type: 'INFO', body: `m${i}` });
    single.push((await got) - t);
  }
  close1();
  console.log(
    `bus append -> SSE client (1 client, ${count} messages): p50 ${ms(pct(single, 50))}, p99 ${ms(pct(single, 99))}`,
  );

  // 200 clients: time until every client has each message.
  const clients = 200;
  const rssBefore = rssMb(proc.pid!);
  let received = 0;
  let allIn: (() => void) | undefined;
  const closers: (() => void)[] = [];
  for (let c = 0; c < clients; c++) {
    closers.push(
      await sse(streamUrl, (data) => {
        if (!data.includes('"fan')) return;
        received++;
        if (received === clients) allIn?.();
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 500)); // let replays settle
  const rssWith = rssMb(proc.pid!);
  const fan: number[] = [];
  const rounds = QUICK ? 10 : 30;
  for (let i = 0; i < rounds; i++) {
    received = 0;
    const done = new Promise<void>((r) => (allIn = r));
    const t = performance.now();
    await appendMessage(bus, { project_id: 'p', task_id: 't', type: 'INFO', body: `fan${i}` });
    await done;
    fan.push(performance.now() - t);
  }
  for (const close of closers) close();
  console.log(
    `${clients} concurrent SSE clients: append -> all ${clients} received p50 ${ms(pct(fan, 50))}, p99 ${ms(pct(fan, 99))}; RSS ${rssBefore.toFixed(1)} -> ${rssWith.toFixed(1)} MB (${(((rssWith - rssBefore) * 1024) / clients).toFixed(0)} KB per client)`,
  );
  await stop(proc);
}

async function benchThroughput(): Promise<void> {
  const root = join(work, 'rps');
  makeRuns(root, 500);
  const { url, proc } = await startServer(root);
  const duration = QUICK ? 3 : 8;
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const address = bare.address();
  const bareUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  const base = await autocannon({ url: bareUrl, connections: 50, duration });
  bare.close();
  const health = await autocannon({ url: `${url}/api/v1/health`, connections: 50, duration });
  const tasks = await autocannon({
    url: `${url}/api/v1/projects/proj-0/tasks`,
    connections: 50,
    duration,
  });
  const runs = await autocannon({ url: `${url}/api/v1/runs?limit=50`, connections: 50, duration });
  const line = (name: string, r: AutocannonResult): string =>
    `${name}: ${Math.round(r.requests.average)} req/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors + r.non2xx})`;
  console.log(
    `${line('GET /api/v1/health', health)} = ${((health.requests.average / base.requests.average) * 100).toFixed(0)}% of a bare node:http server`,
  );
  console.log(
    `  baseline ${line('bare node:http', base)} (autocannon in the same process, ${cpus().length} cores)`,
  );
  console.log(`  ${line('GET /api/v1/projects/{p}/tasks (5 tasks)', tasks)}`);
  console.log(`  ${line('GET /api/v1/runs?limit=50 (500 runs)', runs)}`);
  await stop(proc);
}

async function benchMemory(): Promise<void> {
  const root = join(work, 'mem');
  mkdirSync(root, { recursive: true });
  const config = join(work, 'config.yaml');
  const runs = QUICK ? 10 : 30;
  writeFileSync(
    config,
    `defaults:\n  max_concurrent_runs: ${runs + 4}\nrate_limits:\n  per_user:\n    max_concurrent: ${runs + 4}\n    requests_per_hour: 1000\n`,
  );
  const fakeAgents = join(REPO, 'test', 'fixtures', 'agents');
  const { url, proc } = await startServer(
    root,
    { PATH: `${fakeAgents}:${process.env.PATH ?? ''}` },
    ['--config', config, '--stop-runs-on-exit'],
  );
  await new Promise((r) => setTimeout(r, 1500));
  const idle = rssMb(proc.pid!);
  console.log(`idle RSS (empty root, 1.5 s after start): ${idle.toFixed(1)} MB`);
  // Warm up the task path once so code loading is not counted per run.
  await post(`${url}/api/v1/tasks`, {
    project_id: 'p',
    task_id: 'warm',
    agent: 'codex',
    prompt: 'quick',
  });
  await new Promise((r) => setTimeout(r, 3000));
  const before = rssMb(proc.pid!);
  for (let i = 0; i < runs; i++) {
    const res = await post(`${url}/api/v1/tasks`, {
      project_id: 'p',
      task_id: `t${i}`,
      agent: 'codex',
      prompt: 'FAKE_SLOW=60',
    });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
  }
  await new Promise((r) => setTimeout(r, 3000));
  const running = JSON.parse((await get(`${url}/api/v1/status`)).body) as {
    active_runs_count: number;
  };
  const after = rssMb(proc.pid!);
  console.log(
    `memory per supervised run: ${(((after - before) * 1024) / runs).toFixed(0)} KB (${runs} runs, ${running.active_runs_count} running; server RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MB)`,
  );
  await stop(proc);
}

function post(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolvePost({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

try {
  console.log(
    `# server bench (${cpus().length} cores, node ${process.version}${QUICK ? ', quick' : ''})`,
  );
  await benchList();
  await benchBusLatency();
  await benchThroughput();
  await benchMemory();
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  keepAlive.destroy();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
