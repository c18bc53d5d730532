/**
 * Container probes against the real `conductor serve` with API keys on: the liveness and
 * readiness paths of deploy/k8s/deployment.yaml answer without a key (probes must not carry
 * secrets) and reveal nothing but a status; every other API route still needs the key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/core/yaml.js';
import {
  cleanupAll,
  freshDir,
  REPO,
  startServerProcess,
  type ServerProcess,
} from './server-harness.js';

const KEY = 'probe-secret-key-5f3a';

interface Probe {
  httpGet?: { path: string; port: number; httpHeaders?: unknown };
  exec?: unknown;
}

function k8sProbes(): { liveness: Probe; readiness: Probe } {
  const manifest = parseYaml(readFileSync(join(REPO, 'deploy/k8s/deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: Record<string, Probe>[] } } };
  };
  const container = manifest.spec.template.spec.containers[0]!;
  return { liveness: container.livenessProbe!, readiness: container.readinessProbe! };
}

let server: ServerProcess;
let root: string;
beforeAll(async () => {
  root = join(freshDir('conductor-probes-'), 'root');
  server = await startServerProcess(['--root', root, '--api-key', KEY]);
});
afterAll(async () => {
  await server.stop();
  cleanupAll();
});

describe('probes with auth on', () => {
  it('the k8s liveness and readiness probes pass without a key and see only a status', async () => {
    const { liveness, readiness } = k8sProbes();
    expect(liveness.httpGet?.path).toBe('/api/v1/health');
    expect(readiness.httpGet?.path).toBe('/api/v1/ready');
    for (const probe of [liveness, readiness]) {
      expect(probe.httpGet?.httpHeaders).toBeUndefined();
      expect(probe.exec).toBeUndefined();
    }
    const health = await fetch(`${server.url}${liveness.httpGet!.path}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}${readiness.httpGet!.path}`);
    expect(ready.status).toBe(200);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({
      status: 'ready',
      checks: { root_writable: true, disk_ok: true },
    });
    // No paths, keys or configuration.
    for (const secret of [root, KEY, 'min_free', 'bytes', '/tmp'])
      expect(text).not.toContain(secret);
  });

  it('the Dockerfile HEALTHCHECK sends no key', () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const check = /^HEALTHCHECK[\s\S]*?CMD (.*)$/m.exec(dockerfile)?.[1] ?? '';
    expect(check).toContain('/api/v1/health');
    expect(check.toLowerCase()).not.toMatch(/authorization|api[-_]key|bearer/);
  });

  it('every other API route still answers 401 without the key', async () => {
    for (const path of ['/api/v1/status', '/api/v1/runs', '/api/v1/projects', '/api/v1/agents']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(401);
    }
    const withKey = await fetch(`${server.url}/api/v1/status`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(withKey.status).toBe(200);
  });
});
