/**
 * Deployment files checked without a Docker engine or cluster: nginx.conf with Debian's
 * `nginx -t`, alert rules with `promtool check rules`, k8s manifests against a structural zod
 * schema, the Dockerfile's stages and instructions, config profiles against our config schema,
 * and the Grafana dashboard's panels.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, parseConfigFile } from '../../src/core/config.js';
import { REPO_ROOT } from '../fixtures/agents/process-helper.js';
import { ensureTool } from '../helpers/system-tools.js';

const DEPLOY = join(REPO_ROOT, 'deploy');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-static-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** deploy/nginx.conf with local ports, paths and a self-signed certificate, for `nginx -t`/tests. */
function renderNginxConf(
  work: string,
  upstream: string,
  httpPort: number,
  httpsPort: number,
): string {
  mkdirSync(join(work, 'ui'), { recursive: true });
  mkdirSync(join(work, 'logs'), { recursive: true });
  writeFileSync(join(work, 'ui', 'index.html'), '<!doctype html><title>ui</title>');
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
      '-keyout',
      join(work, 'conductor.key'),
      '-out',
      join(work, 'conductor.crt'),
    ],
    { stdio: 'ignore' },
  );
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
    .replace('worker_processes auto;', 'worker_processes 1;\ndaemon off;');
  const path = join(work, 'nginx.conf');
  writeFileSync(path, text);
  return path;
}

describe('deploy/nginx.conf', () => {
  it('passes nginx -t', () => {
    const nginx = ensureTool('nginx', 'nginx-light');
    const work = join(dir, 'nginx');
    const conf = renderNginxConf(work, 'server 127.0.0.1:9;', 18080, 18443);
    const result = spawnSync(nginx, ['-t', '-c', conf, '-p', work], { encoding: 'utf8' });
    expect(result.stderr).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('keeps SSE streaming and websocket upgrades in the /api/ location', () => {
    const text = readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8');
    const api = /location \/api\/ \{([\s\S]*?)\n {8}\}/.exec(text)?.[1] ?? '';
    for (const directive of [
      'proxy_http_version 1.1;',
      'proxy_buffering off;',
      'proxy_cache off;',
      'proxy_read_timeout 3600s;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $connection_upgrade;',
    ]) {
      expect(api).toContain(directive);
    }
    expect(text).toMatch(/try_files \$uri \$uri\/ \/index\.html;/);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('passes promtool check rules and has the seed alerts with their thresholds', () => {
    const promtool = ensureTool('promtool', 'prometheus');
    const file = join(DEPLOY, 'prometheus', 'alerts.yml');
    const result = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
    const rules = z
      .object({
        groups: z.array(
          z.object({
            rules: z.array(z.object({ alert: z.string(), expr: z.string(), for: z.string() })),
          }),
        ),
      })
      .parse(yaml.load(readFileSync(file, 'utf8')))
      .groups.flatMap((g) => g.rules);
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get('HighFailureRate')).toMatchObject({ for: '5m' });
    expect(byName.get('HighFailureRate')?.expr).toMatch(/> 0\.1\s*$/);
    expect(byName.get('AgentTimeout')).toMatchObject({ for: '10m' });
    expect(byName.get('AgentTimeout')?.expr).toMatch(/\[10m\]\)\) > 10\s*$/);
    expect(byName.get('DiskSpaceLow')).toMatchObject({ for: '5m' });
    expect(byName.get('DiskSpaceLow')?.expr).toMatch(/> 85\s*$/);
  });
});

// ---- Kubernetes -----------------------------------------------------------------------------

const timing = {
  initialDelaySeconds: z.number().int().nonnegative(),
  periodSeconds: z.number().int().positive(),
};
const probe = z.object({
  httpGet: z.object({
    path: z.string().startsWith('/api/v1/'),
    port: z.union([z.number(), z.string()]),
  }),
  ...timing,
});
/** Readiness is a plain httpGet like liveness: /api/v1/ready needs no API key. */
const readiness = probe;
const quantity = z.union([z.string(), z.number()]);
const container = z.object({
  name: z.string(),
  image: z.string().regex(/:[\w.-]+$/, 'image must carry a version tag'),
  ports: z.array(z.object({ containerPort: z.literal(8080) })).optional(),
  livenessProbe: probe,
  readinessProbe: readiness,
  resources: z.object({
    requests: z.object({ cpu: quantity, memory: quantity }),
    limits: z.object({ cpu: quantity, memory: quantity }),
  }),
  securityContext: z.object({ allowPrivilegeEscalation: z.literal(false) }),
  env: z.array(z.object({ name: z.string() }).passthrough()),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() }).passthrough()),
});
const deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: z.object({ name: z.string() }),
  spec: z
    .object({
      selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
      template: z.object({
        metadata: z.object({ labels: z.record(z.string(), z.string()) }).passthrough(),
        spec: z
          .object({
            securityContext: z
              .object({ runAsNonRoot: z.literal(true), runAsUser: z.number().positive() })
              .passthrough(),
            containers: z.array(container).min(1),
            volumes: z.array(z.object({ name: z.string() }).passthrough()),
          })
          .passthrough(),
      }),
    })
    .passthrough(),
});

function loadManifests(name: string): Record<string, unknown>[] {
  return yaml.loadAll(readFileSync(join(DEPLOY, 'k8s', name), 'utf8')) as Record<string, unknown>[];
}

function loadManifest(name: string): Record<string, unknown> {
  return loadManifests(name)[0]!;
}

describe('deploy/k8s', () => {
  it('every manifest parses and names apiVersion, kind and metadata.name', () => {
    const kustomization = z
      .object({ resources: z.array(z.string()).min(5) })
      .parse(loadManifest('kustomization.yaml'));
    for (const file of kustomization.resources) {
      for (const doc of loadManifests(file)) {
        z.object({
          apiVersion: z.string(),
          kind: z.string(),
          metadata: z.object({ name: z.string() }),
        }).parse(doc);
      }
    }
  });

  it('the backup CronJob runs conductor backup daily on the runs volume', () => {
    const [cron, pvc] = loadManifests('backup-cronjob.yaml');
    const job = z
      .object({
        kind: z.literal('CronJob'),
        spec: z
          .object({
            schedule: z.string(),
            concurrencyPolicy: z.literal('Forbid'),
            jobTemplate: z.object({
              spec: z
                .object({
                  template: z.object({
                    spec: z
                      .object({
                        containers: z.array(z.object({ args: z.array(z.string()) }).passthrough()),
                        volumes: z.array(z.object({ name: z.string() }).passthrough()),
                      })
                      .passthrough(),
                  }),
                })
                .passthrough(),
            }),
          })
          .passthrough(),
      })
      .parse(cron);
    expect(job.spec.schedule).toBe('0 2 * * *');
    const podSpec = job.spec.jobTemplate.spec.template.spec;
    expect(podSpec.containers[0]!.args.slice(0, 2)).toEqual(['conductor', 'backup']);
    const claims = podSpec.volumes.map(
      (v) =>
        (v as { persistentVolumeClaim?: { claimName: string } }).persistentVolumeClaim?.claimName,
    );
    expect(claims).toContain((loadManifest('pvc.yaml').metadata as { name: string }).name);
    expect(claims).toContain((pvc!.metadata as { name: string }).name);
  });

  it('the Deployment has the seed probes, limits, the root volume and a Secret-mounted token_file', () => {
    const dep = deployment.parse(loadManifest('deployment.yaml'));
    const [server] = dep.spec.template.spec.containers;
    expect(server!.livenessProbe).toMatchObject({
      httpGet: { path: '/api/v1/health', port: 8080 },
      initialDelaySeconds: 30,
      periodSeconds: 10,
    });
    expect(server!.readinessProbe).toMatchObject({ initialDelaySeconds: 5, periodSeconds: 5 });
    const volumes = dep.spec.template.spec.volumes as Array<Record<string, unknown>>;
    const runs = volumes.find((v) => v.persistentVolumeClaim !== undefined) as {
      name: string;
      persistentVolumeClaim: { claimName: string };
    };
    expect(server!.volumeMounts).toContainEqual(
      expect.objectContaining({ name: runs.name, mountPath: '/data/runs' }),
    );
    expect(loadManifest('pvc.yaml')).toMatchObject({
      kind: 'PersistentVolumeClaim',
      metadata: { name: runs.persistentVolumeClaim.claimName },
    });
    const secretVolume = volumes.find((v) => v.secret !== undefined) as {
      secret: { defaultMode: number; secretName: string };
    };
    expect([0o400, 0o600]).toContain(secretVolume.secret.defaultMode);
    expect(loadManifest('secret.yaml')).toMatchObject({
      kind: 'Secret',
      metadata: { name: secretVolume.secret.secretName },
    });
    // The config's token_file paths point into the mounted token folder.
    const configMap = z
      .object({ data: z.object({ 'config.yaml': z.string() }) })
      .parse(loadManifest('configmap.yaml'));
    const tokenMount = server!.volumeMounts.find((m) => m.mountPath === '/run/secrets/conductor');
    expect(tokenMount).toBeDefined();
    expect(configMap.data['config.yaml']).toContain('token_file: /run/secrets/conductor/');
    expect(server!.env.map((e) => e.name)).toContain('CONDUCTOR_API_KEY');
  });

  it('the ConfigMap holds the prod profile and it is a valid config', () => {
    const configMap = z
      .object({ data: z.object({ 'config.yaml': z.string() }) })
      .parse(loadManifest('configmap.yaml'));
    const file = join(dir, 'configmap-config.yaml');
    writeFileSync(file, configMap.data['config.yaml']);
    expect(parseConfigFile(file)).toEqual(parseConfigFile(join(DEPLOY, 'config', 'prod.yaml')));
  });
});

describe('deploy/config profiles', () => {
  it('dev, staging and prod are valid configs; dev loads completely', () => {
    for (const profile of ['dev', 'staging', 'prod']) {
      expect(
        () => parseConfigFile(join(DEPLOY, 'config', `${profile}.yaml`)),
        profile,
      ).not.toThrow();
    }
    const dev = loadConfig({ configPath: join(DEPLOY, 'config', 'dev.yaml'), env: {} });
    expect(dev.api.host).toBe('127.0.0.1');
    const prod = parseConfigFile(join(DEPLOY, 'config', 'prod.yaml'));
    expect(prod.api?.host).toBe('0.0.0.0');
    for (const agent of Object.values(prod.agents ?? {})) expect(agent?.token).toBeUndefined();
  });
});

// ---- Dockerfile -----------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

function dockerInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^(\w+)\s+(.*)$/.exec(line);
      return { op: (m?.[1] ?? line).toUpperCase(), args: m?.[2] ?? '' };
    });
}

describe('Dockerfile', () => {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const ins = dockerInstructions(text);
  const stages = ins.filter((i) => i.op === 'FROM');
  const lastStage = ins.slice(ins.lastIndexOf(stages[stages.length - 1]!));

  it('is multi-stage on node 20 bookworm-slim with npm ci, build and a dev-dependency prune', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(ins.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args).toBe(
      'NODE_IMAGE=node:20-bookworm-slim',
    );
    const runs = ins
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('scripts/build.mjs');
    expect(runs).toContain('npm prune --omit=dev');
    expect(ins.some((i) => i.op === 'ARG' && i.args.startsWith('AGENT_CLIS'))).toBe(true);
  });

  it('runs as a non-root user, exposes 8080, health-checks /api/v1/health and serves on 0.0.0.0', () => {
    const user = lastStage.filter((i) => i.op === 'USER').pop();
    expect(user?.args).toBeDefined();
    expect(['root', '0']).not.toContain(user!.args.split(':')[0]);
    expect(lastStage.find((i) => i.op === 'EXPOSE')?.args).toBe('8080');
    expect(lastStage.find((i) => i.op === 'HEALTHCHECK')?.args).toContain('/api/v1/health');
    expect(JSON.parse(lastStage.find((i) => i.op === 'CMD')!.args)).toEqual([
      'conductor',
      'serve',
      '--host',
      '0.0.0.0',
    ]);
    // Every COPY --from names an earlier stage.
    const stageNames = stages.map((s) => / AS (\S+)$/i.exec(s.args)?.[1]).filter(Boolean);
    for (const copy of ins.filter((i) => i.op === 'COPY' && i.args.startsWith('--from='))) {
      expect(stageNames).toContain(/--from=(\S+)/.exec(copy.args)?.[1]);
    }
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'runs', '.git', 'secrets', 'dist'])
      expect(ignore).toContain(entry);
  });
});

describe('deploy/grafana/dashboard.json', () => {
  it('has the seed panels', () => {
    const dashboard = z
      .object({
        panels: z.array(
          z.object({ title: z.string(), targets: z.array(z.object({ expr: z.string() })).min(1) }),
        ),
      })
      .parse(JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'dashboard.json'), 'utf8')));
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    for (const wanted of [
      'throughput',
      'duration histogram',
      'failure rate by agent',
      'active tasks',
      'queue depth',
      'resource use',
    ]) {
      expect(
        titles.some((t) => t.includes(wanted)),
        wanted,
      ).toBe(true);
    }
  });
});
