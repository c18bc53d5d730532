/**
 * `conductor doctor`: checks an installation the way an operator would by hand and reports
 * one line per finding: `ok|warn|fail <what>`. Library code: it returns the findings; the
 * CLI prints them and turns any `fail` into exit code 3.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  discoverConfigPath,
  loadConfig,
  parseConfigFile,
  type ResolvedConfig,
} from '../core/config.js';
import { isConductorError } from '../core/errors.js';
import { expandHome, resolveRoot } from '../core/layout.js';
import { diskStatus, formatBytes } from '../core/disk.js';

export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface Finding {
  level: CheckLevel;
  what: string;
}

export interface DoctorOptions {
  configPath?: string | undefined;
  root?: string | undefined;
  /** Server URL to probe; when unset the configured/default address is tried quietly. */
  serverUrl?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per agent `--version` call (default 10 s). */
  versionTimeoutMs?: number;
  /** Per HTTP probe (default 3 s). */
  httpTimeoutMs?: number;
}

/** Agent CLIs we can ask for a version, with the binary name looked up on PATH. */
const CLI_AGENTS = ['claude', 'codex', 'gemini'] as const;
/** REST agents: a token is all they need. */
const REST_AGENTS = new Set(['perplexity', 'xai']);

const finding = (level: CheckLevel, what: string): Finding => ({ level, what });

export async function runDoctor(options: DoctorOptions = {}): Promise<Finding[]> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const findings: Finding[] = [];
  const { config, configFindings } = checkConfig(options.configPath, env, cwd);
  findings.push(...configFindings);
  findings.push(...(await checkAgents(config, env, options.versionTimeoutMs ?? 10_000)));
  const root = resolveRoot({
    flag: options.root,
    env,
    configRunsDir: config?.storage.runsDir,
    cwd,
  });
  const rootWritable = checkRoot(root);
  findings.push(rootWritable);
  if (rootWritable.level !== 'fail') findings.push(checkDisk(root, config));
  findings.push(...(await checkServer(options, config, env)));
  return findings;
}

// ---- config and token files ---------------------------------------------------------------

function checkConfig(
  configPath: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { config: ResolvedConfig | undefined; configFindings: Finding[] } {
  const out: Finding[] = [];
  let path: string | undefined;
  try {
    path = discoverConfigPath({ configPath, env, cwd });
  } catch (error) {
    return { config: undefined, configFindings: [finding('fail', messageOf(error))] };
  }
  if (path !== undefined) out.push(...checkSecretFiles(path, env));
  let config: ResolvedConfig | undefined;
  try {
    config = loadConfig({ configPath: path, env, cwd });
    const agentCount = Object.keys(config.agents).length;
    out.unshift(
      path === undefined
        ? finding('warn', 'config: no config file found, using built-in defaults')
        : finding(
            'ok',
            `config ${path} is valid (${agentCount} agent${agentCount === 1 ? '' : 's'})`,
          ),
    );
    for (const warning of config.warnings) out.push(finding('warn', warning));
    out.push(checkApiExposure(config));
  } catch (error) {
    out.unshift(finding('fail', messageOf(error)));
  }
  return { config, configFindings: out };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** A server bound beyond loopback needs an API key, or `conductor serve` refuses to start. */
function checkApiExposure(config: ResolvedConfig): Finding {
  const { host, apiKeys } = config.api;
  if (LOOPBACK.has(host)) {
    return finding('ok', `api: binds ${host} (loopback), ${apiKeys.length} API key(s)`);
  }
  if (apiKeys.length === 0) {
    return finding(
      'fail',
      `api: binds ${host} without an API key; conductor serve refuses to start (set CONDUCTOR_API_KEY or api.api_keys)`,
    );
  }
  return finding('ok', `api: binds ${host} with ${apiKeys.length} API key(s)`);
}

/** Every `token_file`/`key_file` in the file must exist and be private (0600 or 0400). */
function checkSecretFiles(configPath: string, env: NodeJS.ProcessEnv): Finding[] {
  let raw;
  try {
    raw = parseConfigFile(configPath);
  } catch {
    return []; // reported by the config check
  }
  const baseDir = dirname(configPath);
  const files: { key: string; file: string }[] = [];
  for (const [name, agent] of Object.entries(raw.agents ?? {})) {
    if (agent?.token_file !== undefined)
      files.push({ key: `agents.${name}.token_file`, file: agent.token_file });
  }
  for (const [i, apiKey] of (raw.api?.api_keys ?? []).entries()) {
    if (apiKey.key_file !== undefined)
      files.push({ key: `api.api_keys.${i}.key_file`, file: apiKey.key_file });
  }
  return files.map(({ key, file }) => {
    const expanded = expandHome(file, env);
    const path = isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
    let mode: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) return finding('fail', `${key}: ${path} is not a regular file`);
      mode = stat.mode & 0o777;
    } catch {
      return finding('fail', `${key}: token file ${path} not found`);
    }
    const octal = mode.toString(8).padStart(4, '0');
    if ((mode & 0o077) !== 0) {
      return finding(
        'fail',
        `${key}: token file ${path} has mode ${octal}, want 0600 (chmod 600 ${path})`,
      );
    }
    return finding('ok', `${key}: token file ${path} present, mode ${octal}`);
  });
}

// ---- agents -------------------------------------------------------------------------------

/** First executable named `name` on PATH, or `name` itself when it is a path. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `<bin> --version` with a deadline; the first line of its output, or why it failed. */
export function agentVersion(
  bin: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<{ version?: string; problem?: string }> {
  return new Promise((resolveVersion) => {
    const child = spawn(bin, ['--version'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 4096) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveVersion({ problem: error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = output.trim().split('\n')[0]?.trim() ?? '';
      if (signal === 'SIGKILL')
        resolveVersion({ problem: `--version did not answer within ${timeoutMs / 1000} s` });
      else if (code !== 0)
        resolveVersion({ problem: `--version exited with code ${code}${line ? `: ${line}` : ''}` });
      else resolveVersion({ version: line || 'unknown version' });
    });
  });
}

async function checkAgents(
  config: ResolvedConfig | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finding[]> {
  const configured = Object.values(config?.agents ?? {});
  const checks: Promise<Finding>[] = [];
  const seenBins = new Set<string>();
  const checkCli = (label: string, bin: string, required: boolean): void => {
    const path = findExecutable(bin, env);
    if (path === undefined) {
      checks.push(
        Promise.resolve(
          finding(
            required ? 'fail' : 'warn',
            `agent ${label}: ${bin} not found on PATH${required ? '' : ' (not configured, optional)'}`,
          ),
        ),
      );
      return;
    }
    if (seenBins.has(path)) return;
    seenBins.add(path);
    checks.push(
      agentVersion(path, timeoutMs, env).then((r) =>
        r.version !== undefined
          ? finding('ok', `agent ${label}: ${r.version} (${path})`)
          : finding(
              required ? 'fail' : 'warn',
              `agent ${label}: ${path}: ${r.problem ?? 'no version'}`,
            ),
      ),
    );
  };
  for (const agent of configured) {
    if ((CLI_AGENTS as readonly string[]).includes(agent.type)) {
      checkCli(agent.name, agent.command?.[0] ?? agent.type, true);
    } else if (agent.type === 'command') {
      const bin = agent.command?.[0];
      if (bin === undefined)
        checks.push(Promise.resolve(finding('fail', `agent ${agent.name}: no command configured`)));
      else if (findExecutable(bin, env) === undefined)
        checks.push(Promise.resolve(finding('fail', `agent ${agent.name}: ${bin} not found`)));
      else checks.push(Promise.resolve(finding('ok', `agent ${agent.name}: command ${bin} found`)));
    } else if (REST_AGENTS.has(agent.type)) {
      checks.push(
        Promise.resolve(
          agent.token !== undefined && agent.token !== ''
            ? finding('ok', `agent ${agent.name}: ${agent.type} token configured`)
            : finding('fail', `agent ${agent.name}: ${agent.type} needs a token (token_file)`),
        ),
      );
    }
  }
  // Built-in CLI agents that the config does not mention: report them, but absence is fine.
  for (const type of CLI_AGENTS) {
    if (!configured.some((a) => a.type === type)) checkCli(type, type, false);
  }
  return Promise.all(checks);
}

// ---- root and disk ------------------------------------------------------------------------

function checkRoot(root: string): Finding {
  const probe = join(root, `.doctor-${process.pid}.tmp`);
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(probe, 'ok\n');
    rmSync(probe, { force: true });
    return finding('ok', `root ${root} is writable`);
  } catch (error) {
    return finding('fail', `root ${root} is not writable: ${messageOf(error)}`);
  }
}

/** Warn above this share of the filesystem in use (the DiskSpaceLow alert fires at 85 %). */
const DISK_WARN_PERCENT = 85;

function checkDisk(root: string, config: ResolvedConfig | undefined): Finding {
  const minFree = config?.storage.minFreeBytes ?? 0;
  try {
    const disk = diskStatus(root);
    const text = `disk: ${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)} (${disk.usedPercent}% used) on ${root}`;
    if (disk.freeBytes < minFree)
      return finding('fail', `${text}, below storage.min_free ${formatBytes(minFree)}`);
    if (disk.usedPercent > DISK_WARN_PERCENT)
      return finding('warn', `${text}, above ${DISK_WARN_PERCENT}%`);
    return finding('ok', text);
  } catch (error) {
    return finding('fail', `disk: ${messageOf(error)}`);
  }
}

// ---- server -------------------------------------------------------------------------------

async function checkServer(
  options: DoctorOptions,
  config: ResolvedConfig | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Finding[]> {
  const explicit = options.serverUrl ?? (env.CONDUCTOR_URL || undefined);
  const host = config?.api.host ?? '127.0.0.1';
  const port = config?.api.port ?? 8080;
  const url = (explicit ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(
    /\/+$/,
    '',
  );
  const timeoutMs = options.httpTimeoutMs ?? 3000;
  let health: Response;
  try {
    health = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : messageOf(error);
    return [
      explicit !== undefined
        ? finding('fail', `server ${url} unreachable: ${reason}`)
        : finding(
            'warn',
            `server: nothing answers at ${url} (pass --server URL or set CONDUCTOR_URL if it runs elsewhere)`,
          ),
    ];
  }
  if (!health.ok)
    return [finding('fail', `server ${url}/api/v1/health answered HTTP ${health.status}`)];
  const out = [finding('ok', `server ${url} is reachable`)];
  try {
    // Our /api/v1/ready needs no key; older servers kept it behind auth, so send one if set.
    const key = env.CONDUCTOR_API_KEY;
    const ready = await fetch(`${url}/api/v1/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    if (ready.status === 401) {
      out.push(
        finding('warn', `server ${url}: readiness needs an API key (set CONDUCTOR_API_KEY)`),
      );
      return out;
    }
    const body = (await ready.json().catch(() => ({}))) as { status?: string; checks?: unknown };
    if (ready.ok) out.push(finding('ok', `server ${url} is ready`));
    else
      out.push(
        finding(
          'fail',
          `server ${url} is not ready (HTTP ${ready.status}: ${JSON.stringify(body.checks ?? body)})`,
        ),
      );
  } catch (error) {
    out.push(finding('warn', `server ${url}: readiness unknown: ${messageOf(error)}`));
  }
  return out;
}

function messageOf(error: unknown): string {
  if (isConductorError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** `ok|warn|fail <what>` lines. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.level} ${f.what}\n`).join('');
}
