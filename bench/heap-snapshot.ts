/**
 * Heap snapshots of a running server started with `--heapsnapshot-signal=SIGUSR2` and
 * `--diagnostic-dir=<dir>`: take one (V8 runs a full GC first, so the total is "heap used after
 * GC"), summarise it per constructor, and diff two summaries. Used by bench/soak.ts; also
 * `npx tsx bench/heap-snapshot.ts a.heapsnapshot b.heapsnapshot` prints the diff of two files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HeapSummary {
  file: string;
  totalBytes: number;
  nodes: number;
  /** "type:name" -> count and self size. */
  byKind: Map<string, { count: number; bytes: number }>;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export function summarise(file: string): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as SnapshotJson;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const byKind = new Map<string, { count: number; bytes: number }>();
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const size = snap.nodes[i + sizeAt]!;
    totalBytes += size;
    // Strings and numbers by type only; their "names" are their contents.
    const name =
      type === 'object' || type === 'closure' || type === 'native'
        ? (snap.strings[snap.nodes[i + nameAt]!] ?? '?').slice(0, 60)
        : '';
    const key = `${type}:${name}`;
    const entry = byKind.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += size;
    byKind.set(key, entry);
  }
  return { file, totalBytes, nodes: snap.nodes.length / width, byKind };
}

/** The kinds whose self size grew most from `a` to `b`. */
export function diff(a: HeapSummary, b: HeapSummary, top = 15): string[] {
  const rows: { key: string; dCount: number; dBytes: number }[] = [];
  for (const [key, vb] of b.byKind) {
    const va = a.byKind.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, dCount: vb.count - va.count, dBytes: vb.bytes - va.bytes });
  }
  for (const [key, va] of a.byKind)
    if (!b.byKind.has(key)) rows.push({ key, dCount: -va.count, dBytes: -va.bytes });
  rows.sort((x, y) => y.dBytes - x.dBytes);
  return rows
    .slice(0, top)
    .map(
      (r) =>
        `${(r.dBytes / 1024).toFixed(1).padStart(9)} KB ${String(r.dCount).padStart(7)} objs  ${r.key}`,
    );
}

/** Sends the signal and waits for the snapshot file to be complete (parses as JSON). */
export async function takeSnapshot(pid: number, dir: string, deadlineMs = 60_000): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  const end = Date.now() + deadlineMs;
  let lastSize = -1;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    const fresh = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh === undefined) continue;
    const path = join(dir, fresh);
    const size = statSync(path).size;
    // V8 writes the file in one go on the main thread; a size that stopped changing and
    // a closing bracket mean it is done.
    if (size > 0 && size === lastSize) {
      const text = readFileSync(path, 'utf8');
      if (text.trimEnd().endsWith('}')) return path;
    }
    lastSize = size;
  }
  throw new Error('heap snapshot did not appear in time');
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.length === 4) {
  const a = summarise(process.argv[2]!);
  const b = summarise(process.argv[3]!);
  console.log(
    `heap ${(a.totalBytes / 2 ** 20).toFixed(1)} -> ${(b.totalBytes / 2 ** 20).toFixed(1)} MB, nodes ${a.nodes} -> ${b.nodes}`,
  );
  for (const line of diff(a, b)) console.log(line);
}
