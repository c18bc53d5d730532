/**
 * Learn how a run ended from disk, so any process can do it (the one that spawned the
 * wrapper, or a server that adopted the run after a restart): agent-exit-code.txt appears
 * -> the agent's exit status; the process group is gone and there is no such file -> the
 * wrapper itself was killed (crash, SIGKILL of the group).
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { FILES } from '../core/layout.js';
import { isRunGroupAlive } from './terminate.js';

export type ExitObservation =
  | { kind: 'exited'; exitCode: number }
  | { kind: 'vanished' }
  /** The wrapper could not be started at all. */
  | { kind: 'not-started'; error: string };

/** The exit status recorded by the wrapper, or undefined while the agent runs. */
export function readExitCode(runDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(runDir, FILES.exitCode), 'utf8');
  } catch {
    return undefined;
  }
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

export interface WaitExitOptions {
  pgid: number;
  /** The wrapper, when this process spawned it: its 'exit' event is the fastest signal. */
  child?: ChildProcess | undefined;
  /** Fallback polling period (default 250 ms). */
  pollMs?: number;
}

/** Resolve once the run has ended, one way or the other. */
export function waitForExit(runDir: string, options: WaitExitOptions): Promise<ExitObservation> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    let done = false;

    const finish = (observation: ExitObservation): void => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(timer);
      options.child?.removeListener('exit', check);
      resolve(observation);
    };

    function check(): void {
      if (done) return;
      const exitCode = readExitCode(runDir);
      if (exitCode !== undefined) return finish({ kind: 'exited', exitCode });
      if (isRunGroupAlive(options.pgid, runDir)) return;
      // The file is renamed into place before the wrapper exits: read once more to close the race.
      const late = readExitCode(runDir);
      finish(late !== undefined ? { kind: 'exited', exitCode: late } : { kind: 'vanished' });
    }

    const timer = setInterval(check, options.pollMs ?? 250);
    try {
      watcher = watch(runDir, (_event, name) => {
        if (name === null || name === FILES.exitCode) check();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // No inotify (or the folder is gone): polling below still finishes the run.
    }
    options.child?.on('exit', check);
    check();
  });
}
