import { execFileSync, spawnSync } from 'node:child_process';

/** The tool on PATH, installed from Debian when we are root; otherwise a one-line instruction. */
export function ensureTool(tool: string, aptPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  if (process.getuid?.() !== 0) {
    throw new Error(`${tool} is missing: run \`sudo apt-get install -y ${aptPackage}\``);
  }
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', aptPackage], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}
