/**
 * Deployment pieces against real processes: Debian's nginx (deploy/nginx.conf) in front of a
 * real `conductor serve`, proving SSE events pass through while the stream is open; every
 * metric used by the alert rules and the dashboard exists in a live /metrics; and the
 * blue-green script switching nginx between two servers over one root.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures/agents/process-helper.js';
import { freePort, startServer, waitUntil, type ServerProcess } from '../helpers/server-process.js';
import { ensureTool } from '../helpers/system-tools.js';

const DEPLOY = join(REPO_ROOT, 'deploy');

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-live-'));
  // nginx workers run as an unprivileged user and must reach the UI folder inside.
  chmodSync(dir, 0o755);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Nginx {
  httpsUrl: string;
  conf: string;
  work: string;
}

/** deploy/nginx.conf on local ports with a self-signed certificate, run in the foreground. */
async function startNginx(upstream: string): Promise<Nginx> {
  const nginx = ensureTool('nginx', 'nginx-light');
  const work = join(dir, 'nginx');
  mkdirSync(join(work, 'ui'), { recursive: true });
  mkdirSync(join(work, 'logs'), { recursive: true });
  writeFileSync(join(work, 'ui', 'index.html'), '<!doctype html><title>conductor ui</title>');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ].concat(['-keyout', join(work, 'conductor.key'), '-out', join(work, 'conductor.crt')]),
    { stdio: 'ignore' },
  );
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const text = readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8')
    .replace(
      'pid /run/nginx.pid;',
      `pid ${join(work, 'nginx.pid')};\nerror_log ${join(work, 'logs', 'error.log')};`,
    )
    .replace('server conductor:8080;', upstream)
    .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
    .replaceAll('/etc/ssl/conductor/', `${work}/`)
    .replaceAll('/var/log/nginx/', `${join(work, 'logs')}/`)
    .replace('root /var/www/conductor-ui;', `root ${join(work, 'ui')};`)
    .replace('worker_processes auto;', 'worker_processes 1;\ndaemon off;')
    // The server also sends `X-Accel-Buffering: no`; ignore it so only our config keeps SSE flowing.
    .replace(
      'proxy_cache off;',
      'proxy_cache off;\n            proxy_ignore_headers X-Accel-Buffering;',
    );
  const conf = join(work, 'nginx.conf');
  writeFileSync(conf, text);
  const child: ChildProcess = spawn(nginx, ['-c', conf, '-p', work], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const httpsUrl = `https://127.0.0.1:${httpsPort}`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return (await httpsGet(`${httpsUrl}/index.html`).catch(() => undefined))?.status === 200;
    },
    15_000,
    'nginx to answer',
  );
  return { httpsUrl, conf, work };
}

/** GET over TLS with our self-signed certificate. */
function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function server(root: string, args: string[] = []): Promise<ServerProcess> {
  const s = await startServer({ root, args });
  cleanups.push(() => s.stop());
  return s;
}

describe('nginx in front of conductor serve', () => {
  it('passes SSE events through unbuffered while the stream stays open, and serves the UI', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'p'), { recursive: true });
    const api = await server(root);
    const proxy = await startNginx(`server 127.0.0.1:${api.port};`);

    const ui = await httpsGet(`${proxy.httpsUrl}/some/client/route`);
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('conductor ui');

    let received = '';
    let ended = false;
    let headers: Record<string, unknown> = {};
    const req = request(
      `${proxy.httpsUrl}/api/v1/messages/stream?project_id=p`,
      { rejectUnauthorized: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        headers = res.headers;
        res.setEncoding('utf8').on('data', (c: string) => (received += c));
        res.on('end', () => (ended = true));
      },
    );
    req.on('error', () => {});
    req.end();
    cleanups.push(() => void req.destroy());
    await waitUntil(
      () => Promise.resolve(Object.keys(headers).length > 0),
      10_000,
      'SSE response headers',
    );
    expect(String(headers['content-type'])).toContain('text/event-stream');

    const body = `through-nginx-${Date.now()}`;
    const posted = await fetch(`${api.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project_id: 'p', body }),
    });
    expect(posted.status).toBe(201);
    const postedAt = Date.now();
    await waitUntil(
      () => Promise.resolve(received.includes(body)),
      5_000,
      'the event to pass through nginx',
    );
    // Arrived promptly and the stream is still open: nginx did not hold it back.
    expect(Date.now() - postedAt).toBeLessThan(3_000);
    expect(ended).toBe(false);
    expect(received).toMatch(/event: message\n/);
  });
});

describe('metrics used by alerts and dashboard', () => {
  it('every metric name exists in a live /metrics', async () => {
    const api = await server(join(dir, 'root'));
    const text = await (await fetch(`${api.url}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const expressions = [
      readFileSync(join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8'),
      ...(
        JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'dashboard.json'), 'utf8')) as {
          panels: { targets: { expr: string }[] }[];
        }
      ).panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ].join('\n');
    const used = new Set(
      [...expressions.matchAll(/\b((?:conductor|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) =>
        m[1]!.replace(/_(bucket|sum|count)$/, ''),
      ),
    );
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
  });
});

// The k8s probes (httpGet, no key) are checked against a live server with auth on in
// test/integration/server-probes.test.ts.

describe('blue-green switch', () => {
  it('moves traffic between two servers over one root, refusing an unhealthy target', async () => {
    const root = join(dir, 'root');
    // Production shape: API keys on; the script's health/ready checks pass without a key.
    const auth = ['--api-key', 'bg-key'];
    const [blue, green] = [await server(root, auth), await server(root, auth)];
    const upstreamFile = join(dir, 'upstream.conf');
    writeFileSync(upstreamFile, `server 127.0.0.1:${blue.port};\n`);
    const proxy = await startNginx(`include ${upstreamFile};`);
    const env = {
      ...process.env,
      BLUE_ADDR: `127.0.0.1:${blue.port}`,
      GREEN_ADDR: `127.0.0.1:${green.port}`,
      UPSTREAM_FILE: upstreamFile,
      NGINX: ensureTool('nginx', 'nginx-light'),
      NGINX_ARGS: `-c ${proxy.conf} -p ${proxy.work}`,
      PROXY_URL: proxy.httpsUrl,
      CURL_ARGS: '-k',
      HEALTH_RETRIES: '3',
      HEALTH_INTERVAL: '0.2',
    };
    const script = join(DEPLOY, 'blue-green.sh');
    const run = (...args: string[]) =>
      spawnSync('sh', [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });

    const toBlue = run('switch', 'blue');
    expect(toBlue.stderr).toBe('');
    expect(toBlue.status).toBe(0);
    const toGreen = run('switch', 'green');
    expect(toGreen.stderr).toBe('');
    expect(toGreen.status).toBe(0);
    expect(toGreen.stdout).toContain(`traffic now on green (http://127.0.0.1:${green.port})`);
    expect(readFileSync(upstreamFile, 'utf8')).toContain(`127.0.0.1:${green.port}`);

    // Blue goes away; traffic through nginx keeps working because it now goes to green.
    await blue.stop();
    await waitUntil(
      async () => (await httpsGet(`${proxy.httpsUrl}/api/v1/health`)).status === 200,
      10_000,
      'nginx to answer from green after the reload',
    );
    for (let i = 0; i < 5; i++)
      expect((await httpsGet(`${proxy.httpsUrl}/api/v1/health`)).status).toBe(200);

    const status = run('status');
    expect(status.stdout).toContain(`blue http://127.0.0.1:${blue.port} down`);
    expect(status.stdout).toContain(`green http://127.0.0.1:${green.port} healthy (active)`);

    const back = run('rollback');
    expect(back.status).toBe(1);
    expect(back.stderr.trim()).toBe(
      `Error: blue (http://127.0.0.1:${blue.port}) is not healthy; traffic stays on green`,
    );
    expect(readFileSync(upstreamFile, 'utf8')).toContain(`127.0.0.1:${green.port}`);
    expect((await httpsGet(`${proxy.httpsUrl}/api/v1/health`)).status).toBe(200);
  });
});
