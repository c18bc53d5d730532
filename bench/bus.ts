/**
 * Message bus benchmark: `npx tsx bench/bus.ts` (needs `node scripts/build.mjs --no-web`).
 * Every figure is printed next to a baseline measured in the same run on the same machine:
 * CLI timings against `node -e 0`, bus reads against a plain readFileSync of the same file.
 * Options: --runs N (CLI samples, default 15), --quick (smaller message counts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBusSync, readTailSync } from '../src/bus/reader.js';
import { appendMessagesSync, type MessageDraft } from '../src/bus/writer.js';

const REPO = resolve(import.meta.dirname, '..');
// The built CLI; overridable to measure a private build while others rebuild dist/.
const RUN_AGENT = join(process.env.CONDUCTOR_BENCH_PACKAGE ?? REPO, 'bin', 'run-agent');
const WORKER = join(REPO, 'test', 'fixtures', 'bus', 'append-worker.ts');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 15;
const QUICK = args.includes('--quick');

const work = mkdtempSync(join(tmpdir(), 'bus-bench-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeOnce(argv: string[]): number {
  const started = performance.now();
  const result = spawnSync(argv[0]!, argv.slice(1), {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'], // we time the command, not a pipe reader
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.toString()}`);
  return elapsed;
}

/** Median ms of `argv` and of `node -e 0`, sampled alternately so drift hits both alike. */
function versusNode(argv: string[]): { ms: number; baselineMs: number; ratio: number } {
  const baseline: number[] = [];
  const measured: number[] = [];
  timeOnce([process.execPath, '-e', '0']);
  timeOnce(argv);
  for (let i = 0; i < RUNS; i++) {
    baseline.push(timeOnce([process.execPath, '-e', '0']));
    measured.push(timeOnce(argv));
  }
  const ms = median(measured);
  const baselineMs = median(baseline);
  return { ms, baselineMs, ratio: ms / baselineMs };
}

interface WriterResult {
  messages: number;
  seconds: number;
  perSecond: number;
}

/** `writers` processes, each appending `count` messages in batches; timed from a common start. */
async function runWriters(writers: number, count: number, batch: number): Promise<WriterResult> {
  const bus = join(work, `w${writers}-b${batch}-${Date.now()}.md`);
  const go = `${bus}.go`;
  const children = Array.from({ length: writers }, (_, id) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, bus, String(id), String(count), String(batch), '0', go],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const ready = new Promise<void>((resolveReady) => {
      const check = (): void => {
        if (out.includes('ready')) resolveReady();
      };
      child.stdout.on('data', check);
    });
    const done = new Promise<{ start: number; end: number }>((resolveDone, reject) => {
      child.on('exit', (code) => {
        const m = /done (\d+) (\d+)/.exec(out);
        if (code !== 0 || !m) reject(new Error(`writer ${id} failed (${code})`));
        else resolveDone({ start: Number(m[1]), end: Number(m[2]) });
      });
    });
    return { ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  writeFileSync(go, '');
  const times = await Promise.all(children.map((c) => c.done));
  const start = Math.min(...times.map((t) => t.start));
  const end = Math.max(...times.map((t) => t.end));
  const messages = writers * count;
  const seconds = (end - start) / 1000;
  return { messages, seconds, perSecond: messages / seconds };
}

function bestAndMedian(fn: () => void, runs = 9): { best: number; median: number } {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  return { best: Math.min(...times), median: median(times) };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  say(`date: ${new Date().toISOString()}`);
  say(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
  );
  say('');

  // 1. CLI start-up and post latency vs `node -e 0`.
  const version = versusNode([process.execPath, RUN_AGENT, '--version']);
  const post = versusNode([
    process.execPath,
    RUN_AGENT,
    'bus',
    'post',
    '--root',
    join(work, 'runs'),
    '--project',
    'bench',
    '--body',
    'latency probe',
  ]);
  say('| measure | result | baseline | ratio |');
  say('|---|---|---|---|');
  say(
    `| \`run-agent --version\` (median of ${RUNS}) | ${version.ms.toFixed(1)} ms | node -e 0: ${version.baselineMs.toFixed(1)} ms | ${version.ratio.toFixed(2)}x |`,
  );
  say(
    `| \`run-agent bus post\` (median of ${RUNS}) | ${post.ms.toFixed(1)} ms | node -e 0: ${post.baselineMs.toFixed(1)} ms | ${post.ratio.toFixed(2)}x |`,
  );

  // 2. Library appends from writer processes.
  const per = QUICK ? 1000 : 5000;
  const single1 = await runWriters(1, per, 1);
  const batch1 = await runWriters(1, per, 100);
  const single8 = await runWriters(8, per / 2, 1);
  const batch8 = await runWriters(8, per / 2, 100);
  const row = (name: string, r: WriterResult, base?: WriterResult): string =>
    `| ${name} | ${Math.round(r.perSecond).toLocaleString('en-US')} msg/s (${r.messages} in ${r.seconds.toFixed(2)} s) | ${base ? `1 writer, single: ${Math.round(base.perSecond).toLocaleString('en-US')} msg/s` : '-'} | ${base ? `${(r.perSecond / base.perSecond).toFixed(2)}x` : '-'} |`;
  say(row('1 writer process, one message per append', single1));
  say(row('1 writer process, batches of 100', batch1, single1));
  say(row('8 writer processes, one message per append', single8, single1));
  say(row('8 writer processes, batches of 100', batch8, single1));

  // 3. Reading a 10,000-message bus vs reading its bytes.
  // Where `bus read --root <work> --project bench` looks, so the CLI reads the same file.
  mkdirSync(join(work, 'bench'), { recursive: true });
  const bus = join(work, 'bench', 'PROJECT-MESSAGE-BUS.md');
  for (let i = 0; i < 10; i++) {
    const drafts: MessageDraft[] = [];
    for (let j = 0; j < 1000; j++) {
      drafts.push({
        project_id: 'bench',
        task_id: 'task-1',
        run_id: '20260101-0000000000-1-1',
        type: j % 3 === 0 ? 'FACT' : 'PROGRESS',
        body: `message ${i * 1000 + j}\nsecond line of the body`,
      });
    }
    appendMessagesSync(bus, drafts);
  }
  const size = statSync(bus).size;
  const raw = bestAndMedian(() => readFileSync(bus, 'utf8'));
  const all = bestAndMedian(() => {
    if (readBusSync(bus).length !== 10_000) throw new Error('expected 10,000 messages');
  });
  const tail = bestAndMedian(() => readTailSync(bus, 20));
  say(
    `| read all of a 10,000-message bus (${(size / 1024 / 1024).toFixed(1)} MiB), median (best) | ${all.median.toFixed(1)} ms (${all.best.toFixed(1)} ms) | readFileSync: ${raw.median.toFixed(1)} ms | ${(all.median / raw.median).toFixed(1)}x |`,
  );
  say(
    `| last 20 of the same bus, median (best) | ${tail.median.toFixed(2)} ms (${tail.best.toFixed(2)} ms) | read all: ${all.median.toFixed(1)} ms | ${(tail.median / all.median).toFixed(3)}x |`,
  );
  const cliArgs = [
    process.execPath,
    RUN_AGENT,
    'bus',
    'read',
    '--root',
    work,
    '--project',
    'bench',
  ];
  const cliTail = versusNode([...cliArgs, '--tail', '20']);
  const cliAll = versusNode([...cliArgs, '--tail', '0', '--json']);
  say(
    `| \`run-agent bus read --tail 20\` on that bus | ${cliTail.ms.toFixed(1)} ms | node -e 0: ${cliTail.baselineMs.toFixed(1)} ms | ${cliTail.ratio.toFixed(2)}x |`,
  );
  say(
    `| \`run-agent bus read --tail 0 --json\` (all 10,000) | ${cliAll.ms.toFixed(1)} ms | node -e 0: ${cliAll.baselineMs.toFixed(1)} ms | ${cliAll.ratio.toFixed(2)}x |`,
  );
  rmSync(work, { recursive: true, force: true });
}

await main();
