/**
 * `stop-requested` in a run folder: written by whoever stops the run (any process), read by
 * whoever finishes it, so a stopped or timed-out run is recorded as such and not as `failed`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../core/fs-atomic.js';
import type { StopReason } from './exit-status.js';

export const STOP_MARKER = 'stop-requested';

export function writeStopMarker(runDir: string, reason: StopReason): void {
  // The first reason wins: a timeout that escalates to a stop stays a timeout.
  if (readStopMarker(runDir) !== undefined) return;
  writeFileAtomicSync(join(runDir, STOP_MARKER), `${reason}\n`, { fsync: false });
}

export function readStopMarker(runDir: string): StopReason | undefined {
  let text: string;
  try {
    text = readFileSync(join(runDir, STOP_MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
  return text === 'timeout' ? 'timeout' : 'stop';
}
