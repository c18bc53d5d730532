/**
 * Web UI with 10,000 runs: time from navigation to the sidebar tree rendered with every run
 * loaded (target < 2 s), and to a filter that opens thousands of rows. Baseline in the same
 * run: fetching the same pages from Node without a browser (the API's share of the time).
 * Needs `node scripts/build.mjs` and chromium. Run: npx tsx bench/ui-10k.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskDir } from '../src/core/layout.js';
import { formatRunInfo, runInfoPath, type RunInfo } from '../src/core/run-info.js';
import { ensureTaskPrompt, markDone } from '../src/core/task-files.js';
import { launchBrowser, startServer } from '../test/helpers/browser.js';

const PROJECTS = 10;
const TASKS_PER_PROJECT = 100;
const RUNS_PER_TASK = 10;
const ROUNDS = 3;
const AGENTS = ['claude', 'codex', 'gemini', 'demo'];

function generate(root: string): void {
  const start = Date.parse('2026-11-01T00:00:00Z');
  let n = 0;
  for (let p = 0; p < PROJECTS; p += 1) {
    for (let t = 0; t < TASKS_PER_PROJECT; t += 1) {
      const taskId = `task-20261101-000000-bench-${p}-${t}`;
      const dir = taskDir(root, `proj-${p}`, taskId);
      mkdirSync(dir, { recursive: true });
      ensureTaskPrompt(dir, `Benchmark task ${t} of project ${p}.\n`);
      let previous: string | undefined;
      for (let r = 0; r < RUNS_PER_TASK; r += 1) {
        n += 1;
        const at = new Date(start + n * 1000);
        const stamp = at.toISOString().replace(/\D/g, '');
        const runId = `${stamp.slice(0, 8)}-${stamp.slice(8, 14)}0000-${1000 + r}-${n}`;
        const last = r === RUNS_PER_TASK - 1;
        const status = last ? (t % 7 === 0 ? 'failed' : 'completed') : 'failed';
        const runDir = join(dir, runId);
        mkdirSync(runDir);
        const info: RunInfo = {
          version: 1,
          run_id: runId,
          previous_run_id: previous,
          project_id: `proj-${p}`,
          task_id: taskId,
          agent: AGENTS[(p + t) % AGENTS.length]!,
          pid: 0,
          pgid: 0,
          start_time: at.toISOString().replace(/\.\d+Z$/, 'Z'),
          end_time: new Date(at.getTime() + 30_000 + r * 1000)
            .toISOString()
            .replace(/\.\d+Z$/, 'Z'),
          exit_code: status === 'completed' ? 0 : 1,
          status,
          cwd: root,
          prompt_path: join(runDir, 'prompt.md'),
          output_path: join(runDir, 'output.md'),
          stdout_path: join(runDir, 'agent-stdout.txt'),
          stderr_path: join(runDir, 'agent-stderr.txt'),
          commandline: 'bench',
          agent_version: '1.0.0',
          attempt: r,
        };
        // Plain writes (no fsync per file): this is a fixture, not a crash test.
        writeFileSync(runInfoPath(runDir), formatRunInfo(info));
        previous = runId;
      }
      if (t % 7 !== 0) markDone(dir);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function fetchAll(url: string): Promise<number> {
  const started = performance.now();
  const projects = (await (await fetch(`${url}/api/v1/projects`)).json()) as {
    projects: { project_id: string }[];
  };
  await Promise.all(
    projects.projects.map(async (project) => {
      for (let offset = 0; ;) {
        const page = (await (
          await fetch(
            `${url}/api/v1/projects/${project.project_id}/tasks?limit=500&offset=${offset}`,
          )
        ).json()) as { tasks: unknown[]; has_more: boolean };
        offset += page.tasks.length;
        if (!page.has_more || page.tasks.length === 0) break;
      }
    }),
  );
  let count = 0;
  for (let offset = 0; ;) {
    const page = (await (await fetch(`${url}/api/v1/runs?limit=1000&offset=${offset}`)).json()) as {
      runs: unknown[];
      has_more: boolean;
    };
    offset += page.runs.length;
    count += page.runs.length;
    if (!page.has_more || page.runs.length === 0) break;
  }
  if (count !== PROJECTS * TASKS_PER_PROJECT * RUNS_PER_TASK)
    throw new Error(`API listed ${count} runs`);
  return performance.now() - started;
}

const root = mkdtempSync(join(tmpdir(), 'bench-ui-10k-'));
const generateStart = performance.now();
generate(root);
console.log(
  `generated ${PROJECTS * TASKS_PER_PROJECT * RUNS_PER_TASK} runs in ${Math.round(performance.now() - generateStart)} ms`,
);
const server = await startServer({ root });
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  const api: number[] = [];
  const tree: number[] = [];
  const filtered: number[] = [];
  let filteredRows = 0;
  for (let i = 0; i < ROUNDS; i += 1) {
    api.push(await fetchAll(server.url));
    await page.goto(`${server.url}/`);
    // Navigation start -> every run loaded and the tree drawn.
    await page
      .waitForFunction(
        `document.querySelector('.tree')?.dataset.state === 'ready' && document.querySelectorAll('.tree-row').length > 0 && /10,?000 runs/.test(document.querySelector('.tree-summary')?.textContent ?? '')`,
        undefined,
        { timeout: 60_000, polling: 'raf' },
      )
      .catch(async (error: Error) => {
        const state: unknown = await page.evaluate(
          `[document.querySelector('.tree')?.dataset.state, document.querySelector('.tree-summary')?.textContent, document.querySelector('.tree-note')?.textContent]`,
        );
        throw new Error(`${error.message}; tree state: ${JSON.stringify(state)}`);
      });
    tree.push(await page.evaluate('performance.now()'));
    // A run-level filter opens every task with a matching run: thousands of rows.
    const before = performance.now();
    await page.selectOption('select[aria-label="Filter by status"]', 'failed');
    await page.waitForFunction(
      `Number(document.querySelector('.tree')?.dataset.rows) > 5000`,
      undefined,
      {
        timeout: 60_000,
        polling: 'raf',
      },
    );
    filtered.push(performance.now() - before);
    filteredRows = await page.evaluate(`Number(document.querySelector('.tree').dataset.rows)`);
  }
  const treeMs = median(tree);
  const apiMs = median(api);
  console.log(`API only (Node fetch of all pages), median of ${ROUNDS}: ${Math.round(apiMs)} ms`);
  console.log(
    `UI: navigation -> tree with 10,000 runs, median of ${ROUNDS}: ${Math.round(treeMs)} ms (${(treeMs / apiMs).toFixed(2)}x API)`,
  );
  console.log(
    `UI: status filter -> ${filteredRows} rows, median: ${Math.round(median(filtered))} ms`,
  );
  console.log(treeMs < 2000 ? 'PASS tree < 2 s' : 'FAIL tree >= 2 s');
} finally {
  await browser.close();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
