/**
 * `<cli> --version`, run at most once per executable and PATH: agents are launched many
 * times per process and the answer does not change while we run.
 */
import { execFile } from 'node:child_process';

export const VERSION_TIMEOUT_MS = 10_000;

const cache = new Map<string, Promise<string>>();

/** Trimmed stdout (else stderr) of `<executable> --version`; '' on any failure. */
export function detectCliVersion(executable: string, env: NodeJS.ProcessEnv): Promise<string> {
  const key = `${executable}\0${env.PATH ?? ''}`;
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = runVersion(executable, env);
    cache.set(key, pending);
  }
  return pending;
}

function runVersion(executable: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      executable,
      ['--version'],
      { env, timeout: VERSION_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          resolve('');
          return;
        }
        const out = stdout.trim();
        resolve(out !== '' ? out : stderr.trim());
      },
    );
  });
}
