/**
 * Idle timeout: call `onIdle` once when neither agent-stdout.txt nor agent-stderr.txt has
 * grown for `idleMs`. Sizes are polled (cheap stat calls) rather than watched, so output
 * written by any process counts.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FILES } from '../core/layout.js';

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function watchIdle(runDir: string, idleMs: number, onIdle: () => void): { close(): void } {
  const files = [join(runDir, FILES.stdout), join(runDir, FILES.stderr)];
  let last = files.map(sizeOf).join(',');
  let lastChange = Date.now();
  const pollMs = Math.min(1_000, Math.max(50, Math.floor(idleMs / 4)));
  const timer = setInterval(() => {
    const now = files.map(sizeOf).join(',');
    if (now !== last) {
      last = now;
      lastChange = Date.now();
      return;
    }
    if (Date.now() - lastChange >= idleMs) {
      clearInterval(timer);
      onIdle();
    }
  }, pollMs);
  return { close: () => clearInterval(timer) };
}
