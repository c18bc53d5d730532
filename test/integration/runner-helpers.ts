/**
 * Shared bits of the runner's process tests: a fresh root per test, `/bin/sh -c` agents
 * (type `command`) whose behaviour is the script, and checks on processes and run files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessRunning } from '../../src/runner/terminate.js';
import type { AgentConfig } from '../../src/runner/agents/index.js';

export {
  waitFor,
  runProcess,
  fakePath,
  RUN_AGENT_FROM_SOURCE,
  REPO_ROOT,
} from '../fixtures/agents/process-helper.js';

export function tempRoot(prefix = 'runner-'): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** An agent that runs `script` under /bin/sh (the prompt is on its stdin). */
export function shAgent(script: string, extra: Partial<AgentConfig> = {}): AgentConfig {
  return {
    name: 'sh',
    type: 'command',
    command: ['/bin/sh', '-c', script],
    timeoutMs: 60_000,
    env: {},
    maxRetries: 0,
    retryBaseDelayMs: 0,
    ...extra,
  };
}

/** Running (a zombie waiting for PID 1 to reap it counts as gone). */
export function pidAlive(pid: number): boolean {
  return isProcessRunning(pid);
}

export function readRunFile(runDir: string, name: string): string {
  try {
    return readFileSync(join(runDir, name), 'utf8');
  } catch {
    return '';
  }
}
