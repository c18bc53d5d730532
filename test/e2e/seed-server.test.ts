/**
 * The seed's "Integration Test Workflows" script and its "Test Error Paths", run against a
 * real `conductor serve` with the fake agent CLIs first on PATH (best-practices.md).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerStatus, TaskDetail } from '../../src/client/api-types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  e2eEnv,
  freePort,
  isHealthy,
  runConductor,
  startServer,
  waitUntil,
  type ServerProcess,
} from '../helpers/server-process.js';

let dir: string;
let server: ServerProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-server-'));
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The seed script, verbatim except: `--port $PORT` (a free port instead of 8080, the
 * client finds it through CONDUCTOR_URL) and `sleep 30` replaced by a polling wait.
 */
const INTEGRATION_SCRIPT = `
# Start conductor
conductor serve --port $PORT &
SERVER_PID=$!
sleep 3

# Create test task
TASK_ID=$(conductor task create \\
    --project-id test \\
    --task-id integration-test \\
    --agent codex \\
    --prompt-file test-prompt.md)

# Wait for completion
conductor task wait --project-id test --task-id integration-test --timeout 60s

# Verify results
RUN_DIR=$(ls -t runs/test/integration-test/ | head -1)
if grep -q "success" "runs/test/integration-test/$RUN_DIR/output.md"; then
    echo "✓ Integration test passed"
    kill $SERVER_PID
    exit 0
else
    echo "✗ Integration test failed"
    kill $SERVER_PID
    exit 1
fi
`;

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a bash script in its own process group so everything it started can be cleaned up. */
function runScript(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ScriptResult> {
  const child = spawn('bash', ['-c', script], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      reject(
        new Error(
          `script did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // A server the script failed to kill must not outlive the test.
      killGroup('SIGTERM');
      resolve({ code, stdout, stderr });
    });
  });
}

describe('seed: Integration Test Workflows', () => {
  it('runs the end-to-end script as written and prints the success line', async () => {
    const port = await freePort();
    writeFileSync(
      join(dir, 'test-prompt.md'),
      '# Integration test\n\nCheck that the toolchain works and report success.\n',
    );
    const env = e2eEnv({
      PORT: String(port),
      CONDUCTOR_URL: `http://127.0.0.1:${port}`,
      HOME: dir,
    });
    const result = await runScript(INTEGRATION_SCRIPT, dir, env, 120_000);
    expect(result.stdout, result.stderr).toContain('✓ Integration test passed');
    expect(result.code).toBe(0);
    // The server was stopped by the script's `kill $SERVER_PID`.
    await waitUntil(
      async () => !(await isHealthy(`http://127.0.0.1:${port}`)),
      15_000,
      'the server to stop',
    );
    const runs = readdirSync(join(dir, 'runs', 'test', 'integration-test'));
    expect(runs.some((name) => /^\d{8}-\d{10}-\d+-\d+/.test(name))).toBe(true);
  });
});

describe('seed: Test Error Paths', () => {
  async function startWithConfig(config: string, path?: string): Promise<ServerProcess> {
    writeFileSync(join(dir, 'config.yaml'), config);
    mkdirSync(join(dir, 'runs'));
    const env = e2eEnv({ HOME: dir, ...(path !== undefined ? { PATH: path } : {}) });
    server = await startServer({
      root: join(dir, 'runs'),
      cwd: dir,
      config: join(dir, 'config.yaml'),
      env,
    });
    return server;
  }

  function client(s: ServerProcess): NodeJS.ProcessEnv {
    return e2eEnv({ CONDUCTOR_URL: s.url, HOME: dir });
  }

  it('an agent that loops forever times out, the task fails gracefully, the server keeps serving', async () => {
    // The seed gives no --timeout, so the agent's configured timeout (seed: agents.<name>.timeout)
    // applies; no retries keeps the test short.
    const s = await startWithConfig(
      'agents:\n  codex:\n    type: codex\n    timeout: 3\n    max_retries: 0\n',
    );
    const env = client(s);
    const created = await runConductor(
      ['task', 'create', '--agent', 'codex', '--prompt', 'infinite loop'],
      {
        env,
        cwd: dir,
      },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const taskId = created.stdout.trim();
    expect(taskId).toMatch(/^task-\d{8}-\d{6}-/);

    const waited = await runConductor(
      ['task', 'wait', 'default', taskId, '--json', '--timeout', '60s'],
      { env },
    );
    const task = JSON.parse(waited.stdout) as TaskDetail;
    expect(task.status).toBe('failed');
    expect(task.runs?.at(-1)?.status).toBe('timeout');
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^Error: task default\/task-\S+ failed: run \S+ timeout/);

    expect(await isHealthy(s.url)).toBe(true);
    const status = await runConductor(['status', '--json'], { env });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as ServerStatus).active_runs_count).toBe(0);
  });

  it('an unknown agent is a one-line error naming the configured agents; the server stays up', async () => {
    const s = await startWithConfig('agents:\n  codex:\n    type: codex\n');
    const result = await runConductor(
      ['task', 'create', '--agent', 'invalid-agent', '--prompt', 'test'],
      {
        env: client(s),
        cwd: dir,
      },
    );
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^Error: unknown agent "invalid-agent" \((known|configured): [^)]*codex[^)]*\)\n$/,
    );
    expect([2, 3]).toContain(result.code);
    expect(await isHealthy(s.url)).toBe(true);
  });

  it('a prompt about a missing file finishes and its output.md reports the missing file', async () => {
    // The fake codex, like a real agent, checks the files the task names and reports missing ones.
    const s = await startWithConfig('agents:\n  codex:\n    type: codex\n');
    const env = client(s);
    const created = await runConductor(
      ['task', 'create', '--agent', 'codex', '--prompt', 'process nonexistent.txt'],
      {
        env,
        cwd: dir,
      },
    );
    expect(created.code).toBe(0);
    const taskId = created.stdout.trim();
    const waited = await runConductor(
      ['task', 'wait', 'default', taskId, '--json', '--timeout', '60s'],
      { env },
    );
    const task = JSON.parse(waited.stdout) as TaskDetail;
    const runId = task.latest_run_id ?? '';
    const output = readFileSync(join(dir, 'runs', 'default', taskId, runId, 'output.md'), 'utf8');
    expect(output).toMatch(/file not found: nonexistent\.txt/);
    expect(await isHealthy(s.url)).toBe(true);
  });
});
