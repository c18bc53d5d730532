/**
 * Browser test harness: Debian's chromium through playwright-core, the real built
 * `conductor serve` on a free 127.0.0.1 port, axe-core checks and screenshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const screenshotDir = join(repoRoot, 'test-results', 'screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const path = process.env.CONDUCTOR_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`chromium not found at ${path}: apt-get install chromium`);
  return path;
}

export interface BrowserHandle {
  context: BrowserContext;
  close: () => Promise<void>;
}

/** A fresh browser profile (its own --user-data-dir) that is deleted on close. */
export async function launchBrowser(): Promise<BrowserHandle> {
  const profile = mkdtempSync(join(tmpdir(), 'conductor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerHandle {
  url: string;
  root: string;
  stop: (options?: { keepRoot?: boolean }) => Promise<void>;
  output: () => string;
}

/** Starts `bin/conductor serve` (needs `node scripts/build.mjs`) on a temp root. */
export async function startServer(
  options: {
    root?: string;
    port?: number;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    /** Delete the root on stop (default: only when this call made it). */
    removeRoot?: boolean;
  } = {},
): Promise<ServerHandle> {
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'conductor-ui-'));
  const removeRoot = options.removeRoot ?? options.root === undefined;
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    join(repoRoot, 'bin', 'conductor'),
    [
      'serve',
      // Agents started by the test end with it.
      '--stop-runs-on-exit',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--root',
      root,
      ...(options.args ?? []),
    ],
    {
      cwd: root,
      env: { ...process.env, CONDUCTOR_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (stopOptions: { keepRoot?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // --stop-runs-on-exit gives agents their SIGTERM grace before the server exits.
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(timer);
    }
    if (removeRoot && !stopOptions.keepRoot) rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`conductor serve exited: ${output}`);
        const response = await fetch(`${url}/api/v1/health`).catch(() => undefined);
        return response?.ok === true;
      },
      { timeoutMs: 20_000, what: 'conductor serve to answer /api/v1/health' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, root, stop, output: () => output };
}

/** Polls `check` until it returns true (or throws), with a deadline. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page; returns serious and critical violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = readFileSync(join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  // A string, not a function: the root tsconfig has no DOM types.
  const result: AxeViolation[] = await page.evaluate(`(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  })()`);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a screenshot of the page as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
