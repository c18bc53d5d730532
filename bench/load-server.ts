/** Shared by bench/load.ts and bench/soak.ts: a real `conductor serve` with an instant agent. */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');

/** The agent reads its prompt, answers and marks its task done, so each task is one run. */
export function instantConfig(extra = ''): string {
  return [
    'agents:',
    '  instant:',
    '    command: [/bin/sh, -c, "cat >/dev/null; echo ok; touch \\"$JRUN_TASK_FOLDER/DONE\\""]',
    'defaults:',
    '  agent: instant',
    '  max_concurrent_runs: 16',
    'rate_limits:',
    '  per_agent: { requests_per_day: 1000000 }',
    extra,
  ].join('\n');
}

export interface Server {
  url: string;
  pid: number;
  root: string;
  /** Temp folder holding the root and the config (and the soak's heap snapshots). */
  work: string;
  proc: ChildProcess;
}

/** `nodeArgs` go before the launcher, e.g. `--heapsnapshot-signal=SIGUSR2` for the soak. */
export async function startServer(config: string, nodeArgs: string[] = []): Promise<Server> {
  const work = mkdtempSync(join(tmpdir(), 'conductor-load-'));
  const root = join(work, 'root');
  const configPath = join(work, 'config.yaml');
  writeFileSync(configPath, config);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('CONDUCTOR_') && !k.startsWith('JRUN_')) env[k] = v;
  const proc = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(REPO, 'bin/conductor'),
      'serve',
      '--port',
      '0',
      '--root',
      root,
      '--config',
      configPath,
      '--stop-runs-on-exit',
    ],
    { env: { ...env, CONDUCTOR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout.setEncoding('utf8');
  const url = await new Promise<string>((done, fail) => {
    proc.stdout.on('data', (d: string) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) done(m[1].replace(/\/$/, ''));
    });
    proc.once('exit', (code) => fail(new Error(`server exited with ${code} before listening`)));
  });
  return { url, pid: proc.pid!, root, work, proc };
}

export async function stopServer(s: Server): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Open fds by kind (socket, pipe, anon_inode, file), to tell client sockets from leaks. */
export function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let kind = 'gone';
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      kind = target.startsWith('/') ? 'file' : (target.split(':')[0] ?? 'other');
    } catch {
      // Closed while we looked.
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

export const formatKinds = (k: Record<string, number>): string =>
  Object.entries(k)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');

/** Processes whose parent is `pid` (agents or wrappers the server still holds). */
export function childCount(pid: number): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) n++;
    } catch {
      // The process ended while we looked.
    }
  }
  return n;
}

/** Samples peak RSS and fds every 100 ms until stopped. */
export class PeakSampler {
  peakRss = 0;
  peakFds = 0;
  peakKinds: Record<string, number> = {};
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }
  private sample(): void {
    try {
      this.peakRss = Math.max(this.peakRss, rssMb(this.pid));
      const fds = fdCount(this.pid);
      if (fds > this.peakFds) {
        this.peakFds = fds;
        this.peakKinds = fdKinds(this.pid);
      }
    } catch {
      // The server is gone; the caller notices.
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Closes the client's keep-alive sockets so they no longer count among the server's fds. */
export function closeClientSockets(): void {
  agent.destroy();
}

export function httpJson(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown = undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          done({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

export interface TaskState {
  task_id: string;
  status: string;
}

/** Every task of a project (paged). */
export async function listTasks(url: string, project: string): Promise<TaskState[]> {
  const all: TaskState[] = [];
  for (let offset = 0; ; offset += 500) {
    const r = await httpJson(
      'GET',
      `${url}/api/v1/projects/${project}/tasks?limit=500&offset=${offset}`,
    );
    if (r.status === 404) return all;
    if (r.status !== 200) throw new Error(`task list: HTTP ${r.status}`);
    const page = r.json as { tasks: TaskState[]; has_more: boolean };
    all.push(...page.tasks);
    if (!page.has_more) return all;
  }
}

/** Bytes under a folder (the root's growth in the soak). */
export function duBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) {
      try {
        total += statSync(p).size;
      } catch {
        // Removed meanwhile.
      }
    }
  }
  return total;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free port on 127.0.0.1 (for the server's inspector in the soak). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// Run in a child Node with --experimental-websocket (Node 20 has no global WebSocket without it).
const HEAP_PROBE = `
const ws = new WebSocket(process.argv[1]);
ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: {
  expression: 'gc(); process.memoryUsage().heapUsed', returnByValue: true } }));
ws.onmessage = (event) => {
  const msg = JSON.parse(event.data);
  if (msg.id === 1) { console.log(JSON.stringify(msg.result.result.value)); ws.close(); }
};
ws.onerror = () => process.exit(1);
`;

/**
 * The server's V8 heap used right after a full GC, in MB, through its inspector (the server
 * runs with `--inspect=127.0.0.1:<port> --expose-gc`): GC and reading happen in one evaluation,
 * so nothing the server allocates in between counts; unlike a heap snapshot, RSS is untouched.
 */
export async function heapAfterGcMb(inspectPort: number): Promise<number> {
  const list = (await httpJson('GET', `http://127.0.0.1:${inspectPort}/json/list`)).json as {
    webSocketDebuggerUrl: string;
  }[];
  const url = list[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error('no inspector target');
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(
    process.execPath,
    ['--experimental-websocket', '--no-warnings', '-e', HEAP_PROBE, url],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return Number(JSON.parse(out)) / 2 ** 20;
}
