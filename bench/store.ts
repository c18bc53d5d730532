/**
 * Scanning a root with 10,000 runs (100 tasks x 100 runs) through src/core/store.ts, the
 * path `run-agent list` takes. Baseline in the same run: reading the same 10,000 files raw.
 * Run: npx tsx bench/store.ts
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRunInfo, readRunInfo } from '../src/core/run-info.js';
import { scanRuns } from '../src/core/store.js';

const fixture = join(
  import.meta.dirname,
  '../test/fixtures/reference/root/demo/task-20260101-000000-fixture/runs/20261126-1457060000-1789-1',
);
const root = mkdtempSync(join(tmpdir(), 'bench-store-'));
const text = formatRunInfo(readRunInfo(fixture));
const files: string[] = [];
for (let t = 0; t < 100; t += 1) {
  for (let r = 0; r < 100; r += 1) {
    const runDir = join(
      root,
      `p${t % 5}`,
      `task-${t}`,
      `20260101-00000${String(r).padStart(5, '0')}-1-${r}`,
    );
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'run-info.yaml'), text);
    files.push(join(runDir, 'run-info.yaml'));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const raw: number[] = [];
const scan: number[] = [];
for (let i = 0; i < 7; i += 1) {
  let t = performance.now();
  for (const file of files) readFileSync(file, 'utf8');
  raw.push(performance.now() - t);
  t = performance.now();
  const runs = scanRuns(root);
  scan.push(performance.now() - t);
  if (runs.length !== 10_000) throw new Error(`expected 10000 runs, got ${runs.length}`);
}
rmSync(root, { recursive: true, force: true });
console.log(`read 10,000 run-info.yaml raw: ${median(raw).toFixed(0)} ms (median of 7)`);
console.log(
  `scanRuns 10,000 runs:          ${median(scan).toFixed(0)} ms (${(median(scan) / median(raw)).toFixed(1)}x raw reads)`,
);
