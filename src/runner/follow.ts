/**
 * Stream a growing run file (agent-stdout.txt) to a writer while the run lives: `run-agent
 * job -f` and `run-agent output -f`. Polling reads from the last offset, so it works for runs
 * of any process and never misses the bytes written just before the end.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isTerminalStatus, tryReadRunInfo } from '../core/run-info.js';

const CHUNK = 64 * 1024;

export interface FollowOptions {
  /** Start at this byte offset (default 0). */
  from?: number;
  pollMs?: number;
  /** Stop following once this resolves (after a final read). */
  until: Promise<unknown>;
}

/** Copy new bytes of `path` to `write` until `until` resolves; resolves with the final offset. */
export async function followFile(
  path: string,
  write: (chunk: Buffer) => void,
  options: FollowOptions,
): Promise<number> {
  let offset = options.from ?? 0;
  let ended = false;
  void options.until.then(
    () => (ended = true),
    () => (ended = true),
  );
  const buffer = Buffer.alloc(CHUNK);
  const drain = (): void => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, CHUNK, offset);
        if (n <= 0) break;
        offset += n;
        write(Buffer.from(buffer.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
  };
  for (;;) {
    const last = ended;
    drain();
    if (last) return offset;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}

/** Resolves once the run's run-info.yaml shows a final status. */
export async function runEnded(runDir: string, pollMs = 200): Promise<void> {
  for (;;) {
    const info = tryReadRunInfo(runDir);
    if (info !== undefined && isTerminalStatus(info.status)) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
