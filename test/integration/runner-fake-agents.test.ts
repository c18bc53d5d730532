/**
 * runJob driving the fake codex CLI (real stream format): usage and version land in
 * run-info.yaml, and the fake's hostile behaviours (ignore SIGTERM, a grandchild in the
 * group) leave no process behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/core/run-info.js';
import type { AgentConfig } from '../../src/runner/agents/index.js';
import { runJob } from '../../src/runner/job.js';
import { FAKE_AGENTS_DIR } from '../fixtures/agents/process-helper.js';
import { pidAlive, readRunFile, tempRoot, waitFor } from './runner-helpers.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = tempRoot('runner-fake-'));
});
afterEach(() => cleanup());

const codex: AgentConfig = {
  name: 'codex',
  type: 'codex',
  command: [join(FAKE_AGENTS_DIR, 'codex')],
  timeoutMs: 60_000,
  env: {},
  maxRetries: 0,
  retryBaseDelayMs: 0,
};
const base = { projectId: 'proj', taskId: 'task-1', agent: codex };

describe('runJob with the fake codex CLI', () => {
  it('records the final text, token usage and the agent version', async () => {
    const result = await runJob({ ...base, root, prompt: 'summarise the repo' });
    expect(result).toMatchObject({ status: 'completed', outcome: 0 });
    const info = readRunInfo(result.runDir);
    expect(info.agent_version).toBe('codex-cli 0.171.0');
    expect(info.input_tokens).toBeGreaterThan(0);
    expect(info.output_tokens).toBeGreaterThan(0);
    expect(info.session_id).toBeTruthy();
    expect(info.commandline).toContain('codex exec');
    expect(readRunFile(result.runDir, 'output.md')).toContain('success');
  });

  it('kills an agent that ignores SIGTERM after the grace period', async () => {
    const controller = new AbortController();
    let started: { runDir: string; pid: number } | undefined;
    const running = runJob({
      ...base,
      root,
      prompt: 'FAKE_IGNORE_TERM',
      stopGraceMs: 500,
      signal: controller.signal,
      onStarted: (run) => (started = run),
    });
    // The fake prints its first event once its SIGTERM handler is installed.
    await waitFor(
      () => started !== undefined && readRunFile(started.runDir, 'agent-stdout.txt') !== '',
      20_000,
      'handler installed',
    );
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'stopped', outcome: 1 });
    expect(pidAlive(started!.pid)).toBe(false);
  });

  it('a timeout takes the grandchild down with the group', async () => {
    const result = await runJob({
      ...base,
      root,
      prompt: 'FAKE_GRANDCHILD FAKE_SLOW=30',
      timeoutMs: 2_000,
      stopGraceMs: 2_000,
    });
    expect(result).toMatchObject({ status: 'timeout', outcome: 1 });
    const grandchild = Number(readFileSync(join(result.runDir, 'grandchild.pid'), 'utf8'));
    expect(grandchild).toBeGreaterThan(1);
    expect(pidAlive(grandchild)).toBe(false);
    expect(readRunFile(result.runDir, 'output.md')).toContain('# Task Failed');
  });
});
