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
  proc: ChildProcess;
}

export async function startServer(config: string): Promise<Server> {
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
  return { url, pid: proc.pid!, root, proc };
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
