/**
 * The one place that starts agent processes. Every run is a tiny /bin/sh wrapper that leads
 * its own process group: it feeds prompt.md on stdin, writes straight into the run's files,
 * records the agent's exit status in agent-exit-code.txt and exits with it. Output goes to
 * disk, never through a pipe to us, so the run survives its supervisor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fsError, RetriableError } from '../core/errors.js';
import { FILES } from '../core/layout.js';

/**
 * $1 = exit-code file, the rest = agent argv. `trap :` is a handler, not "ignore", so the
 * agent keeps the default SIGTERM while the wrapper lives on to record its status. `3>&-`
 * keeps the slot lock fd away from the agent: only the wrapper holds the slot.
 */
export const WRAPPER_SCRIPT =
  'f=$1; shift; trap : TERM INT HUP; "$@" 3>&-; c=$?; ' +
  'printf "%s\\n" "$c" > "$f.tmp" && mv -f "$f.tmp" "$f"; exit $c';

export interface SpawnRequest {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  runDir: string;
  promptPath: string;
  stdoutPath: string;
  stderrPath: string;
  /** fd holding the concurrency slot's flock; passed to the wrapper as fd 3. */
  slotFd?: number | undefined;
}

export interface SpawnedRun {
  child: ChildProcess;
  /** pid = pgid = the wrapper's pid. */
  pid: number;
}

/** Resolve an executable like the shell would: a path with '/' as is, else each PATH entry. */
export function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string | undefined {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Start the wrapper. The caller owns nothing afterwards: our copies of the fds are closed. */
export function spawnWrapper(req: SpawnRequest): SpawnedRun {
  const fds: number[] = [];
  const open = (path: string, flags: string): number => {
    try {
      const fd = openSync(path, flags, 0o644);
      fds.push(fd);
      return fd;
    } catch (error) {
      throw fsError('open', path, error);
    }
  };
  try {
    const stdin = open(req.promptPath, 'r');
    const stdout = open(req.stdoutPath, 'a');
    const stderr = open(req.stderrPath, 'a');
    const stdio: (number | 'ignore')[] = [stdin, stdout, stderr];
    if (req.slotFd !== undefined) stdio.push(req.slotFd);
    const child = spawn(
      '/bin/sh',
      ['-c', WRAPPER_SCRIPT, 'sh', join(req.runDir, FILES.exitCode), ...req.argv],
      { cwd: req.cwd, env: req.env, stdio, detached: true },
    );
    // Reported through pid === undefined below; a listener keeps it from being unhandled.
    child.on('error', () => undefined);
    // The run must not keep a CLI supervisor alive, nor die with it.
    child.unref();
    if (child.pid === undefined) {
      // spawn of /bin/sh itself failed (EAGAIN, ENOMEM, bad cwd); 'error' carries the reason.
      throw new RetriableError('SPAWN_FAILED', `cannot start /bin/sh for the run in ${req.cwd}`);
    }
    return { child, pid: child.pid };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
