/**
 * The web UI in a real browser against the real `conductor serve` (built bundle) on a temp
 * root: live output, stop, message bus, deep links, accessibility, screenshots.
 */
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  launchBrowser,
  repoRoot,
  screenshot,
  startServer,
  waitFor,
  type BrowserHandle,
  type ServerHandle,
} from '../helpers/browser.js';

let server: ServerHandle;
let browser: BrowserHandle;
const PROJECT = 'ui-demo';

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface TaskJson {
  status: string;
  runs: { run_id: string; status: string }[];
}

async function firstRun(task: string, status?: string): Promise<string> {
  let runId = '';
  await waitFor(
    async () => {
      const detail = await api<TaskJson>('GET', `/api/v1/projects/${PROJECT}/tasks/${task}`);
      const run = detail.runs.find((r) => !status || r.status === status);
      runId = run?.run_id ?? '';
      return runId !== '';
    },
    { timeoutMs: 30_000, what: `a ${status ?? ''} run of ${task}` },
  );
  return runId;
}

async function newPage(theme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.context.newPage();
  await page.emulateMedia({ colorScheme: theme });
  page.on('pageerror', (error) => {
    throw error;
  });
  return page;
}

beforeAll(async () => {
  for (const built of ['dist/conductor.cjs', 'web/dist/index.html']) {
    if (!existsSync(join(repoRoot, built)))
      throw new Error(`${built} missing: run node scripts/build.mjs`);
  }
  // Fake agent CLIs (test/fixtures/agents) first on PATH: the claude task below runs one.
  server = await startServer({
    env: { PATH: `${join(repoRoot, 'test', 'fixtures', 'agents')}:${process.env.PATH ?? ''}` },
  });
  browser = await launchBrowser();
  // Background tasks so the views have something to show: one finishes with output.md,
  // one fails (DEMO_PERMANENT), both while the tests below run.
  await api('POST', '/api/v1/tasks', {
    project_id: PROJECT,
    task_id: 'summarize',
    agent: 'demo',
    prompt: 'Summarize package.json and README.md for a new contributor.',
  });
  await api('POST', '/api/v1/tasks', {
    project_id: PROJECT,
    task_id: 'claude-review',
    agent: 'claude',
    prompt: 'Review the change.',
  });
  await api('POST', '/api/v1/tasks', {
    project_id: PROJECT,
    task_id: 'broken-build',
    agent: 'demo',
    prompt: 'Fix the build. DEMO_PERMANENT',
    max_restarts: 0,
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 90_000);

// Generous timeouts: the suite shares a 2-core machine with every other test file.
describe('web UI', () => {
  it('creates a task with the demo agent and shows its output live', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/new`);
    // The server's validation error lands next to the field it names.
    await page.getByRole('button', { name: 'Create task' }).click();
    await page
      .locator('.field.has-error')
      .getByText(/project_id/)
      .waitFor();
    expect(await page.getByLabel('Project', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await page.getByLabel('Project', { exact: true }).fill(PROJECT);
    await page.getByLabel('Task id (optional)').fill('live-output');
    await page.getByLabel('Agent', { exact: true }).selectOption('demo');
    await page.getByLabel('Prompt', { exact: true }).fill('Say hello slowly. DEMO_SLOW');
    await page.getByRole('button', { name: 'Create task' }).click();
    await page.waitForURL(/\/projects\/ui-demo\/tasks\/live-output$/);
    await page.getByRole('heading', { name: /Task live-output/ }).waitFor();

    const runId = await firstRun('live-output');
    await page.locator(`a[title="${runId}"]`).click();
    await page.waitForURL(new RegExp(`/runs/${runId}$`));
    const log = page.getByRole('log', { name: 'stdout' });
    await log.getByText('slow step 1/60').waitFor({ timeout: 20_000 });
    // The page was not reloaded: later lines arrive over the stream.
    await log.getByText('slow step 3/60').waitFor({ timeout: 20_000 });
    await page.locator('.connection[data-state="live"]').waitFor();
    await screenshot(page, 'run-live-light');

    await page.getByRole('button', { name: '■ Stop run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop run' }).click();
    await page.locator('.view-head .badge[data-status="stopped"]').waitFor({ timeout: 45_000 });
    await page.close();
  }, 120_000);

  it('stops a hanging run from its page', async () => {
    await api('POST', '/api/v1/tasks', {
      project_id: PROJECT,
      task_id: 'hangs',
      agent: 'demo',
      prompt: 'Wait. DEMO_HANG',
    });
    const runId = await firstRun('hangs', 'running');
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}/tasks/hangs/runs/${runId}`);
    await page.locator('.view-head .badge[data-status="running"]').waitFor();
    await page.getByRole('button', { name: '■ Stop run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop run' }).click();
    await page.locator('.view-head .badge[data-status="stopped"]').waitFor({ timeout: 45_000 });
    expect(await page.getByRole('button', { name: '■ Stop run' }).isDisabled()).toBe(true);
    // The sidebar learned about it through /api/v1/events.
    await page
      .locator(`[role="treeitem"][data-path$="${runId}"] .badge[data-status="stopped"]`)
      .waitFor();
    await page.close();
  }, 120_000);

  it('posts to the project bus and shows messages from others live', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}`);
    const bus = page.getByRole('region', { name: `Message bus of project ${PROJECT}` });
    await bus.locator('.stream-live').waitFor();
    await bus.getByLabel('Message type').selectOption('FACT');
    await bus.getByLabel('Message body').fill('posted from the web UI');
    await bus.getByRole('button', { name: 'Post' }).click();
    // Look in the message list only: the compose box briefly holds the same text.
    const list = bus.locator('.messages');
    await list.getByText('posted from the web UI').first().waitFor();
    const copies = await list.getByText('posted from the web UI').count();
    expect(copies, copies > 1 ? await list.innerHTML() : '').toBe(1);
    await api('POST', '/api/v1/messages', {
      project_id: PROJECT,
      type: 'INFO',
      body: 'posted by a script',
    });
    await list.getByText('posted by a script').waitFor();
    await bus.getByLabel('Filter messages by type').selectOption('FACT');
    await waitFor(async () => (await list.getByText('posted by a script').count()) === 0, {
      what: 'the type filter to hide the INFO message',
    });
    expect(await list.getByText('posted from the web UI').count()).toBe(1);
    await page.close();
  }, 120_000);

  it('opens deep links directly and follows back/forward', async () => {
    const runId = await firstRun('hangs');
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}/tasks/hangs/runs/${runId}`);
    await page.getByRole('heading', { name: `Run ${runId}` }).waitFor();
    await page.locator(`[role="treeitem"][aria-selected="true"][data-path$="${runId}"]`).waitFor();
    await page
      .getByRole('navigation', { name: 'Breadcrumb' })
      .getByRole('link', { name: 'hangs' })
      .click();
    await page.getByRole('heading', { name: 'Task hangs' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: `Run ${runId}` }).waitFor();
    await page.goForward();
    await page.getByRole('heading', { name: 'Task hangs' }).waitFor();
    // Keyboard: the tree takes focus and Enter opens the active row.
    await page.getByRole('tree').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Project ${PROJECT}` }).waitFor();
    await page.close();
  }, 120_000);

  it('has no serious accessibility violations and no horizontal overflow at 1280 px', async () => {
    const runId = await firstRun('summarize', 'completed');
    const views = [
      { name: 'dashboard', path: '/', ready: 'Dashboard' },
      { name: 'project', path: `/projects/${PROJECT}`, ready: `Project ${PROJECT}` },
      { name: 'task', path: `/projects/${PROJECT}/tasks/live-output`, ready: 'Task live-output' },
      {
        name: 'run',
        path: `/projects/${PROJECT}/tasks/summarize/runs/${runId}`,
        ready: `Run ${runId}`,
      },
      { name: 'new-task', path: '/new', ready: 'New task' },
    ];
    for (const theme of ['light', 'dark'] as const) {
      const page = await newPage(theme);
      for (const view of views) {
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.goto(`${server.url}${view.path}`);
        await page.getByRole('heading', { name: view.ready, exact: true }).waitFor();
        await page.locator('.tree[data-state="ready"]').waitFor();
        await page.locator('.connection[data-state="live"]').waitFor();
        const violations = await axeViolations(page);
        expect(violations, `${view.name} (${theme})`).toEqual([]);
        await screenshot(page, `${view.name}-${theme}`);
        await page.setViewportSize({ width: 1280, height: 800 });
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth > document.documentElement.clientWidth',
        );
        expect(overflow, `${view.name} overflows at 1280 px`).toBe(false);
      }
      await page.close();
    }
  }, 120_000);

  it('summarizes an agent JSON stream and shows the raw JSON on request', async () => {
    const runId = await firstRun('claude-review', 'completed');
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}/tasks/claude-review/runs/${runId}`);
    await page.getByRole('tab', { name: /stdout/ }).click();
    const log = page.getByRole('log', { name: 'stdout' });
    await log.locator('.jl-kind', { hasText: 'assistant' }).first().waitFor();
    await page.getByRole('button', { name: 'Show raw JSON' }).click();
    await log.getByText('"type":"result"').first().waitFor();
    expect(await log.locator('.jl-kind').count()).toBe(0);
    await page.close();
  }, 120_000);

  it('deletes a finished task after confirmation', async () => {
    await waitFor(
      async () =>
        (await api<TaskJson>('GET', `/api/v1/projects/${PROJECT}/tasks/broken-build`)).status ===
        'failed',
      { timeoutMs: 30_000, what: 'broken-build to fail' },
    );
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}/tasks/broken-build`);
    await page.getByRole('heading', { name: 'Task broken-build' }).waitFor();
    expect(await page.getByRole('button', { name: 'Stop task' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Delete task' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this task?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete task' }).click();
    await dialog.getByRole('button', { name: 'Delete task' }).click();
    await page.waitForURL(new RegExp(`/projects/${PROJECT}$`));
    await page.locator('[role="treeitem"][data-path$="/tasks/summarize"]').waitFor();
    expect(await page.locator('[role="treeitem"][data-path$="/tasks/broken-build"]').count()).toBe(
      0,
    );
    const response = await fetch(`${server.url}/api/v1/projects/${PROJECT}/tasks/broken-build`);
    expect(response.status).toBe(404);
    await page.close();
  }, 120_000);

  it('works behind a reverse proxy under a path prefix', async () => {
    const target = new URL(server.url);
    const proxy: Server = createServer((req, res) => {
      if (!req.url?.startsWith('/conductor/')) {
        res.writeHead(404).end();
        return;
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url.slice('/conductor'.length),
          method: req.method,
          headers: req.headers,
        },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const page = await newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/conductor/projects/${PROJECT}/tasks/summarize`);
      await page.getByRole('heading', { name: 'Task summarize' }).waitFor();
      await page.locator('.connection[data-state="live"]').waitFor();
      await page.getByRole('link', { name: 'New task', exact: true }).click();
      expect(page.url()).toBe(`http://127.0.0.1:${port}/conductor/new`);
    } finally {
      await page.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 120_000);

  it('shows reconnecting while the server is down and resumes when it is back', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/projects/${PROJECT}`);
    await page.locator('.connection[data-state="live"]').waitFor();
    const { root } = server;
    const port = Number(new URL(server.url).port);
    await server.stop({ keepRoot: true });
    // The server may take a while to shut down (it stops its runs first); the light then shows
    // reconnecting, or offline once it has been down for 20 s.
    await page
      .locator('.connection[data-state="reconnecting"], .connection[data-state="offline"]')
      .first()
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'reconnecting-light');
    server = await startServer({ root, port, removeRoot: true });
    await page.locator('.connection[data-state="live"]').waitFor({ timeout: 30_000 });
    // Events flow again: a task created now shows up in the sidebar without a reload.
    await api('POST', '/api/v1/tasks', {
      project_id: PROJECT,
      task_id: 'after-restart',
      agent: 'demo',
      prompt: 'Hello again.',
    });
    await page.locator('[role="treeitem"][data-path$="/tasks/after-restart"]').waitFor();
    await page.close();
  }, 120_000);
});
