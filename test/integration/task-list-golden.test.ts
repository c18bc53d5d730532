/**
 * `run-agent list` and `run-agent status` on the reference fixture root print exactly what the
 * reference binary printed (test/fixtures/reference/cli-output.txt).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
// The built CLIs (bin/ + dist/); overridable to test a private build while others rebuild dist/.
const PACKAGE = process.env.CONDUCTOR_E2E_PACKAGE ?? REPO;
const RUN_AGENT = join(PACKAGE, 'bin', 'run-agent');
const REFERENCE = join(REPO, 'test', 'fixtures', 'reference');

/** The transcript blocks of cli-output.txt: `$ run-agent <args>` -> output + `[exit N]`. */
function referenceBlocks(): Map<string, string> {
  const text = readFileSync(join(REFERENCE, 'cli-output.txt'), 'utf8');
  const blocks = new Map<string, string>();
  for (const block of text.split(/^(?=\$ run-agent )/m)) {
    const newline = block.indexOf('\n');
    if (newline < 0) continue;
    blocks.set(block.slice(2, newline), block.slice(newline + 1).replace(/\n+$/, '\n'));
  }
  return blocks;
}

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'task-golden-'));
  root = join(dir, 'root');
  cpSync(join(REFERENCE, 'root'), root, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = [
  'run-agent list --root <ROOT>',
  'run-agent list --root <ROOT> --project demo',
  'run-agent list --root <ROOT> --project demo --task task-20260101-000000-fixture',
  'run-agent status --root <ROOT> --project demo',
  'run-agent status --root <ROOT> --project demo --concise',
];

describe('list and status match the reference output', () => {
  const expected = referenceBlocks();
  for (const command of COMMANDS) {
    it(command, () => {
      const args = command
        .split(' ')
        .slice(1)
        .map((a) => (a === '<ROOT>' ? root : a));
      const result = spawnSync(process.execPath, [RUN_AGENT, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const transcript = `${result.stdout}${result.stderr}[exit ${result.status}]\n`;
      expect(transcript.replaceAll(root, '<ROOT>')).toBe(expected.get(command));
    });
  }
});
