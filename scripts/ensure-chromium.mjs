// Browser tests drive Debian's chromium through playwright-core. Install it with apt when
// missing and we are root; otherwise say how in one line.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium() {
  if (process.env.CONDUCTOR_CHROMIUM && existsSync(process.env.CONDUCTOR_CHROMIUM))
    return process.env.CONDUCTOR_CHROMIUM;
  return CANDIDATES.find((path) => existsSync(path));
}

export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'Error: browser tests need Chromium: run `sudo apt-get install -y chromium`\n',
    );
    return undefined;
  }
  process.stderr.write('Installing Chromium for the browser tests (apt-get install chromium)...\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  return findChromium();
}
