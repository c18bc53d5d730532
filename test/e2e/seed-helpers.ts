/**
 * Running the seed's shell scripts (best-practices.md) verbatim: bash in a fresh working
 * directory whose `runs/` is the root, our bin/ and the fake agent CLIs on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FAKE_AGENTS_DIR } from '../fixtures/agents/process-helper.js';

const REPO = resolve(import.meta.dirname, '../..');
// The built CLIs (bin/ + dist/); overridable to test a private build while others rebuild dist/.
const PACKAGE = process.env.CONDUCTOR_E2E_PACKAGE ?? REPO;
export const BIN = join(PACKAGE, 'bin');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface SeedDir {
  dir: string;
  /** `runs/` inside `dir`: the default root of `run-agent` started there. */
  root: string;
  run(script: string, env?: Record<string, string>, timeoutMs?: number): ScriptResult;
  write(name: string, text: string): void;
  cleanup(): void;
}

export function seedDir(prefix: string): SeedDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    root: join(dir, 'runs'),
    run(script, env = {}, timeoutMs = 90_000) {
      const started = Date.now();
      const result = spawnSync('bash', ['-c', script], {
        cwd: dir,
        env: {
          PATH: `${BIN}:${FAKE_AGENTS_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: dir,
          ...env,
        },
        encoding: 'utf8',
        timeout: timeoutMs,
      });
      return {
        code: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        ms: Date.now() - started,
      };
    },
    write(name, text) {
      writeFileSync(join(dir, name), text);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
