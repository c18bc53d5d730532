/**
 * Chaos: many writers on one bus while it rotates. Eight processes append in a loop with a
 * small rotation threshold, while the server takes posts over HTTP and the CLI posts too, all
 * on the same root. Afterwards the current file and its archives hold every message exactly
 * once, each writer's messages in order, and every file parses.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBus } from '../../src/bus/record.js';
import { listArchives } from '../../src/bus/rotate.js';
import { verifyTree } from '../../src/ops/verify.js';
import { REPO_ROOT, runProcess } from '../fixtures/agents/process-helper.js';
import { BIN_DIR, e2eEnv, startServer, type ServerProcess } from '../helpers/server-process.js';

const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const WRITERS = 8;
const PER_WRITER = 150;
const API_POSTS = 40;
const CLI_POSTS = 6;

let dir: string;
let server: ServerProcess | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chaos-bus-'));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function writerProcess(bus: string, id: number): Promise<number | null> {
  const script = join(dir, `writer-${id}.ts`);
  writeFileSync(
    script,
    `import { appendMessageSync } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'bus', 'writer.ts')).href)};
for (let n = 0; n < ${PER_WRITER}; n++) {
  appendMessageSync(${JSON.stringify(bus)}, { project_id: 'p', task_id: 't', type: 'PROGRESS', body: 'w${id} ' + n + ' ' + 'x'.repeat(n % 97) }, { rotateAtBytes: 8192 });
}
`,
  );
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('chaos: concurrent bus writers during rotation', () => {
  it('8 process writers + API + CLI writers: every message once, in order per writer, all files parse', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'p', 't'), { recursive: true });
    const bus = join(root, 'p', 't', 'TASK-MESSAGE-BUS.md');
    server = await startServer({ root });
    const api = server.url;

    const writers = Array.from({ length: WRITERS }, (_, id) => writerProcess(bus, id));
    const apiPosts = Array.from({ length: API_POSTS }, async (_, n) => {
      const response = await fetch(`${api}/api/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ project_id: 'p', task_id: 't', type: 'FACT', body: `api ${n}` }),
      });
      return response.status;
    });
    const cliPosts = Array.from({ length: CLI_POSTS }, (_, n) =>
      runProcess(
        [
          process.execPath,
          join(BIN_DIR, 'run-agent'),
          'bus',
          'post',
          '--root',
          root,
          '--project',
          'p',
          '--task',
          't',
          '--body',
          `cli ${n}`,
        ],
        { env: e2eEnv(), timeoutMs: 90_000 },
      ),
    );
    expect(await Promise.all(writers)).toEqual(Array(WRITERS).fill(0));
    expect(await Promise.all(apiPosts)).toEqual(Array(API_POSTS).fill(201));
    for (const r of await Promise.all(cliPosts)) expect(r.code, r.stderr).toBe(0);

    const files = [...listArchives(bus), bus];
    expect(files.length).toBeGreaterThan(3);
    const messages = files.flatMap((file) => parseBus(readFileSync(file, 'utf8')));
    expect(messages).toHaveLength(WRITERS * PER_WRITER + API_POSTS + CLI_POSTS);
    expect(new Set(messages.map((m) => m.msg_id)).size).toBe(messages.length);
    for (let id = 0; id < WRITERS; id++) {
      const sequence = messages
        .filter((m) => m.body.startsWith(`w${id} `))
        .map((m) => Number(m.body.split(' ')[1]));
      expect(sequence).toEqual(Array.from({ length: PER_WRITER }, (_, n) => n));
    }
    expect(messages.filter((m) => m.body.startsWith('api ')).length).toBe(API_POSTS);
    expect(messages.filter((m) => m.body.startsWith('cli ')).length).toBe(CLI_POSTS);
    expect(verifyTree(root).problems).toEqual([]);
  });
});
