/**
 * The seed's "Parallelize Independent Work": three `run-agent task` runs whose agent works for
 * about 1 s, one after another vs all three with `&` + `wait`, in the same session.
 * Run: `npx tsx bench/tasks.ts [rounds]` after `npm run build` (CONDUCTOR_E2E_PACKAGE picks
 * another build). Prints the timings and the speedup ratio (seed: "3x").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const PACKAGE = process.env.CONDUCTOR_E2E_PACKAGE ?? REPO;
const PATH = `${join(PACKAGE, 'bin')}:${join(REPO, 'test', 'fixtures', 'agents')}:${process.env.PATH ?? ''}`;
const rounds = Number(process.argv[2] ?? '3');

const task = (id: string): string =>
  `run-agent task --task-id ${id} --project-id project --agent codex --prompt "work FAKE_SLOW=1"`;
const SEQUENTIAL = [task('task1'), task('task2'), task('task3')].join('\n');
const PARALLEL = `${[task('task1'), task('task2'), task('task3')].map((t) => `${t} >/dev/null &`).join('\n')}\nwait`;
const AGENT_ONLY =
  'echo "work FAKE_SLOW=1" | codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check - >/dev/null';

function timeScript(script: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tasks-'));
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync('bash', ['-c', script], {
      cwd: dir,
      env: { PATH, HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`script failed (${result.status}): ${result.stderr}`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const agent: number[] = [];
const sequential: number[] = [];
const parallel: number[] = [];
timeScript(task('warmup'));
for (let i = 0; i < rounds; i += 1) {
  agent.push(timeScript(AGENT_ONLY));
  sequential.push(timeScript(SEQUENTIAL));
  parallel.push(timeScript(PARALLEL));
}
const seq = median(sequential);
const par = median(parallel);
const one = median(agent);
console.log(`machine: ${cpus().length} cores, ${rounds} rounds (median)`);
console.log(`fake agent alone (FAKE_SLOW=1):       ${one.toFixed(0)} ms`);
console.log(`3 tasks sequential:                   ${seq.toFixed(0)} ms`);
console.log(`3 tasks parallel (& + wait):          ${par.toFixed(0)} ms`);
console.log(`speedup parallel vs sequential:       ${(seq / par).toFixed(2)}x`);
console.log(`loop overhead per task (seq/3 - agent): ${(seq / 3 - one).toFixed(0)} ms`);
