/**
 * Runner overhead: `npx tsx bench/run-overhead.ts` (builds the CLIs like scripts/build.mjs).
 * Baselines are measured in the same run, alternating with the measured command:
 *  1. `run-agent job` with an instant agent vs spawning the same agent directly (stdin from a
 *     prompt file, stdout to a file); the added time is reported as a ratio to `node -e 0`.
 *  2. In-process runJob: call -> agent spawned (free slot), and slot hand-over with limit 1.
 *  3. 500 instant runs submitted at once with limit 16 through the library: all complete,
 *     open fds and child processes before/after, total time.
 * Options: --runs N (CLI samples, default 15), --many N (default 500).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleClis } from '../scripts/build.mjs';
import { readRunInfo } from '../src/core/run-info.js';
import type { AgentConfig } from '../src/runner/agents/index.js';
import { runJob } from '../src/runner/job.js';
import { isProcessRunning } from '../src/runner/terminate.js';

const REPO = resolve(import.meta.dirname, '..');
// A private build, as scripts/build.mjs makes it: dist/ may be rebuilt by others mid-run.
const BUILD_DIR = join(REPO, `.bench-build-${process.pid}`);
const RUN_AGENT = join(BUILD_DIR, 'bin', 'run-agent');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) || fallback : fallback;
};
const RUNS = flag('--runs', 15);
const MANY = flag('--many', 500);
const work = mkdtempSync(join(tmpdir(), 'run-bench-'));

const AGENT_ARGV = ['/bin/sh', '-c', 'cat >/dev/null; echo done'];
const agent: AgentConfig = {
  name: 'instant',
  type: 'command',
  command: AGENT_ARGV,
  timeoutMs: 60_000,
  env: {},
  maxRetries: 0,
  retryBaseDelayMs: 0,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function timeSync(argv: string[], stdinPath?: string, stdoutPath?: string): number {
  const stdin = stdinPath !== undefined ? openSync(stdinPath, 'r') : 'ignore';
  const stdout = stdoutPath !== undefined ? openSync(stdoutPath, 'a') : 'pipe';
  const started = performance.now();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: work, stdio: [stdin, stdout, 'pipe'] });
  const elapsed = performance.now() - started;
  if (typeof stdin === 'number') closeSync(stdin);
  if (typeof stdout === 'number') closeSync(stdout);
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.toString()}`);
  return elapsed;
}

function cliOverhead(): void {
  const root = join(work, 'cli-root');
  const config = join(work, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({ agents: { instant: { type: 'command', command: AGENT_ARGV } } }),
  );
  const promptPath = join(work, 'prompt.md');
  writeFileSync(promptPath, 'hello\n');
  const job = [
    process.execPath,
    RUN_AGENT,
    'job',
    '--root',
    root,
    '--config',
    config,
    '--project',
    'bench',
    '--task',
    'cli',
    '--agent',
    'instant',
    '--prompt',
    'hello',
  ];
  const nodeE0: number[] = [];
  const direct: number[] = [];
  const viaJob: number[] = [];
  timeSync(job); // warm the file cache
  for (let i = 0; i < RUNS; i += 1) {
    nodeE0.push(timeSync([process.execPath, '-e', '0']));
    direct.push(timeSync(AGENT_ARGV, promptPath, join(work, 'direct-out.txt')));
    viaJob.push(timeSync(job));
  }
  const added = median(viaJob) - median(direct);
  console.log(`## run-agent job vs direct spawn (${RUNS} samples each, medians)`);
  console.log(`node -e 0:            ${median(nodeE0).toFixed(1)} ms`);
  console.log(`agent spawned directly: ${median(direct).toFixed(1)} ms`);
  console.log(`run-agent job:        ${median(viaJob).toFixed(1)} ms`);
  console.log(
    `added by run-agent:   ${added.toFixed(1)} ms = ${(added / median(nodeE0)).toFixed(2)}x node -e 0 (target <= 1.3x)`,
  );
}

async function queueToSpawn(): Promise<void> {
  const root = join(work, 'lib-root');
  const samples: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 40; i += 1) {
    const called = performance.now();
    let spawnedAt = 0;
    await runJob({
      root,
      projectId: 'bench',
      taskId: 'latency',
      prompt: 'hi',
      agent,
      onStarted: () => (spawnedAt = performance.now()),
    });
    if (i >= 5) samples.push(spawnedAt - called);
    // Floor, alternating: the same detached spawn of /bin/sh with file descriptors, nothing else.
    const promptFd = openSync(join(work, 'prompt.md'), 'r');
    const outFd = openSync(join(work, 'bare-out.txt'), 'a');
    const before = performance.now();
    const child = spawn('/bin/sh', ['-c', 'cat >/dev/null'], {
      detached: true,
      stdio: [promptFd, outFd, outFd],
    });
    if (i >= 5) bare.push(performance.now() - before);
    child.unref();
    closeSync(promptFd);
    closeSync(outFd);
  }
  console.log('\n## in-process runJob');
  console.log(
    `call -> agent spawned (free slot): median ${median(samples).toFixed(2)} ms, p95 ${percentile(samples, 95).toFixed(2)} ms (target <= 5 ms)`,
  );
  console.log(
    `floor: bare child_process.spawn of /bin/sh from this process: median ${median(bare).toFixed(2)} ms`,
  );

  // Limit 1: each run waits for the previous one. Hand-over = the previous wrapper wrote its
  // exit status (file mtime) -> the next agent spawned; it includes the kernel freeing the
  // slot lock, our exit detection and the in-process queue.
  const spawnedAt: number[] = [];
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      runJob({
        root,
        projectId: 'bench',
        taskId: 'handoff',
        prompt: `run ${i}`,
        agent,
        maxConcurrent: 1,
        onStarted: () => spawnedAt.push(performance.timeOrigin + performance.now()),
      }),
    ),
  );
  const exits = results
    .map((r) => statSync(join(r.runDir, 'agent-exit-code.txt')).mtimeMs)
    .sort((a, b) => a - b);
  spawnedAt.sort((a, b) => a - b);
  const handoff = spawnedAt.slice(1).map((at, i) => at - exits[i]!);
  console.log(
    `slot hand-over, limit 1 (previous agent exited -> next agent spawned): median ${median(handoff).toFixed(2)} ms, p95 ${percentile(handoff, 95).toFixed(2)} ms`,
  );
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function childProcesses(): number {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)]).stdout.toString();
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

async function manyRuns(): Promise<void> {
  const root = join(work, 'many-root');
  const fdsBefore = openFds();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: MANY }, (_, i) =>
      runJob({
        root,
        projectId: 'bench',
        taskId: `task-${i % 50}`,
        prompt: `run ${i}`,
        agent,
        maxConcurrent: 16,
      }),
    ),
  );
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 100));
  const completed = results.filter((r) => r.status === 'completed').length;
  const leftAlive = results.filter((r) => isProcessRunning(readRunInfo(r.runDir).pid)).length;
  console.log(`\n## ${MANY} instant runs at once, limit 16, in-process`);
  console.log(
    `completed: ${completed}/${MANY}; total ${(elapsed / 1000).toFixed(2)} s = ${(MANY / (elapsed / 1000)).toFixed(0)} runs/s`,
  );
  console.log(
    `open fds before/after: ${fdsBefore}/${openFds()}; agent processes left running: ${leftAlive}; other child processes (esbuild service, ps): ${childProcesses()}`,
  );
  console.log(`queue tickets left: ${readdirSync(join(root, '.conductor', 'queue')).length}`);
}

// As scripts/build.mjs builds dist/, beside a copy of bin/ (the launchers find ../dist).
await bundleClis(join(BUILD_DIR, 'dist'));
cpSync(join(REPO, 'bin'), join(BUILD_DIR, 'bin'), { recursive: true });
console.log(`node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? ''}`);
try {
  cliOverhead();
  await queueToSpawn();
  await manyRuns();
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(BUILD_DIR, { recursive: true, force: true });
}
