/**
 * The web UI against a server that requires an API key: the key prompt appears, a wrong
 * key is refused, the right one is kept for the tab and only ever sent as a header.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

const KEY = 'ui-test-key-4f1d2c';
let server: ServerHandle;
let browser: BrowserHandle;

beforeAll(async () => {
  for (const built of ['dist/conductor.cjs', 'web/dist/index.html']) {
    if (!existsSync(join(repoRoot, built)))
      throw new Error(`${built} missing: run node scripts/build.mjs`);
  }
  server = await startServer({ env: { CONDUCTOR_API_KEY: KEY } });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 90_000);

describe('web UI with an API key', () => {
  it('asks for the key, rejects a wrong one and works with the right one', async () => {
    const unauthenticated = await fetch(`${server.url}/api/v1/projects`);
    expect(unauthenticated.status).toBe(401);
    const authed = async (path: string, body: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(201);
    };
    await authed('/api/v1/tasks', {
      project_id: 'secured',
      task_id: 'quick',
      agent: 'demo',
      prompt: 'Hi.',
    });
    await authed('/api/v1/messages', {
      project_id: 'secured',
      type: 'INFO',
      body: 'hello behind a key',
    });

    const page = await browser.context.newPage();
    const urls: string[] = [];
    const authHeaders: string[] = [];
    page.on('request', (request) => {
      urls.push(request.url());
      const header = request.headers().authorization;
      if (header) authHeaders.push(header);
    });
    await page.goto(`${server.url}/projects/secured`);
    const dialog = page.getByRole('dialog', { name: 'API key required' });
    await dialog.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'auth-prompt-light');

    await dialog.getByLabel('API key').fill('wrong-key');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    // The wrong key gets another 401, so the prompt comes back.
    await waitFor(
      async () => authHeaders.includes('Bearer wrong-key') && (await dialog.isVisible()),
      {
        what: 'the prompt to return after a wrong key',
      },
    );

    await dialog.getByLabel('API key').fill(KEY);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('hello behind a key').waitFor();
    await page.locator('.connection[data-state="live"]').waitFor();
    expect(authHeaders).toContain(`Bearer ${KEY}`);
    expect(urls.filter((url) => url.includes(KEY))).toEqual([]);

    // Kept in sessionStorage: a reload does not ask again.
    await page.reload();
    await page.getByText('hello behind a key').waitFor();
    expect(await dialog.isVisible()).toBe(false);
    await page.close();
  }, 120_000);
});
