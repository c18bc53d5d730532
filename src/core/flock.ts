/**
 * flock(2) on a file descriptor. Node has no binding for it, so we call libc through
 * koffi (prebuilt FFI, no compiler needed at install). This is the same advisory lock the
 * reference takes on bus files and run-info.yaml.lock, so its writers and ours exclude
 * each other. A lock belongs to the open file description: it is inherited by children
 * that receive the fd and released by the kernel when the last holder exits, so a
 * crashed process can never leak it.
 */
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';
import { RetriableError } from './errors.js';

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

type FlockFn = (fd: number, operation: number) => number;
type ErrnoFn = () => number;

let binding: { flock: FlockFn; errno: ErrnoFn } | undefined;

/**
 * koffi's entry module probes the Node binary to pick a native build, which costs ~4 ms per
 * process; its prebuilt package for this platform (what the probe finds on glibc Linux)
 * loads in ~2 ms and exports the same API. Anything unexpected falls back to `koffi`.
 */
function loadKoffi(): typeof KoffiModule {
  const require = createRequire(import.meta.url);
  try {
    // Resolved from koffi's own folder: it is koffi's optional dependency, pinned to its version.
    const fromKoffi = createRequire(require.resolve('koffi'));
    const native = fromKoffi(`@koromix/koffi-${process.platform}-${process.arch}`) as
      Partial<typeof KoffiModule> | undefined;
    if (typeof native?.load === 'function' && typeof native.errno === 'function') {
      return native as typeof KoffiModule;
    }
  } catch {
    // not the prebuilt layout: use koffi's own loader
  }
  return require('koffi') as typeof KoffiModule;
}

function load(): { flock: FlockFn; errno: ErrnoFn } {
  if (binding) return binding;
  // Loaded lazily: commands that never lock do not pay for the FFI load.
  const koffi = loadKoffi();
  const libc = koffi.load('libc.so.6');
  binding = {
    flock: libc.func('int flock(int fd, int operation)') as FlockFn,
    errno: () => koffi.errno(),
  };
  return binding;
}

const EINTR = 4;
const EWOULDBLOCK = 11;

/** Try once; true when the lock was taken. Throws on errors other than "held by someone else". */
export function tryLock(fd: number, exclusive = true): boolean {
  const { flock, errno } = load();
  for (;;) {
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) === 0) return true;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EWOULDBLOCK) return false;
    throw new RetriableError('LOCK_FAILED', `flock failed with errno ${code}`);
  }
}

export function unlock(fd: number): void {
  load().flock(fd, LOCK_UN);
}

export interface LockWaitOptions {
  /** Give up after this long (default 10 s, as the reference). */
  timeoutMs?: number;
  /** Shown in the timeout error. */
  what?: string;
  exclusive?: boolean;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSyncMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * Take the lock, waiting synchronously. Short critical sections (a bus append) make
 * waits brief, so we poll with a small, growing back-off instead of a blocking flock
 * that could not be timed out.
 */
export function lockSync(fd: number, options: LockWaitOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const exclusive = options.exclusive ?? true;
  if (tryLock(fd, exclusive)) return;
  const deadline = Date.now() + timeoutMs;
  let waitMs = 0.05;
  while (!tryLock(fd, exclusive)) {
    if (Date.now() >= deadline) throw lockTimeout(options.what, timeoutMs);
    sleepSyncMs(waitMs);
    waitMs = Math.min(waitMs * 2, 5);
  }
}

/** Take the lock without blocking the event loop. */
export async function lockAsync(fd: number, options: LockWaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const exclusive = options.exclusive ?? true;
  if (tryLock(fd, exclusive)) return;
  const deadline = Date.now() + timeoutMs;
  let waitMs = 1;
  while (!tryLock(fd, exclusive)) {
    if (Date.now() >= deadline) throw lockTimeout(options.what, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    waitMs = Math.min(waitMs * 2, 10);
  }
}

function lockTimeout(what: string | undefined, timeoutMs: number): RetriableError {
  return new RetriableError(
    'LOCK_TIMEOUT',
    `timed out after ${timeoutMs} ms waiting for the lock on ${what ?? 'a file'} (another writer holds it)`,
  );
}
