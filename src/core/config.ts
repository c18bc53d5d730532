/**
 * config.yaml: discovery, validation (zod), defaults, secrets. Accepts the union of the
 * seed's keys (`agents.<name>.timeout`, `token_file`, `rate_limits.*`) and the reference's
 * (compat.md §5), including its HCL home file (hcl.ts parses it to the same shape).
 * `loadConfig` parses once into a ResolvedConfig; every problem becomes a ConfigError
 * (exit 3) naming the file, the key path and what was expected.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type * as z from 'zod/mini';
import { DURATION_PATTERN, durationToMs } from './duration.js';
import { ConfigError, errnoCode } from './errors.js';
import { parseHclConfig } from './hcl.js';
import { safeIdProblem } from './ids.js';
import { expandHome } from './layout.js';
import { parseYaml } from './yaml.js';
import { lazySchema } from './zod-lazy.js';

export const AGENT_TYPES = [
  'claude',
  'codex',
  'gemini',
  'perplexity',
  'xai',
  'command',
  'demo',
] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

/** One agent, resolved: durations in ms, secret loaded, paths absolute. */
export interface AgentConfig {
  /** Config name (`agents.<name>`), or the type name for built-in agents. */
  name: string;
  type: AgentType;
  /** Executable + fixed args: overrides the CLI for claude/codex/gemini; required for `command`. */
  command?: string[];
  model?: string;
  baseUrl?: string;
  timeoutMs: number;
  idleTimeoutMs?: number;
  /** Secret: never log, never put in argv. */
  token?: string;
  tokenFile?: string;
  /** Extra env for the agent. */
  env: Record<string, string>;
  maxRetries: number;
  retryBaseDelayMs: number;
}

export interface ApiKey {
  user: string;
  /** Secret: compare in constant time, never log. */
  key: string;
}

export interface ResolvedConfig {
  /** The file that was loaded, if any. */
  path?: string;
  /** Agents from the file (built-in agents are added by the runner's registry). */
  agents: Record<string, AgentConfig>;
  defaultAgent?: string;
  defaults: {
    timeoutMs: number;
    maxConcurrentRuns: number;
    maxRestarts: number;
    restartDelayMs: number;
    childWaitTimeoutMs: number;
    stopGraceMs: number;
    maxRetries: number;
    retryBaseDelayMs: number;
  };
  rateLimits: {
    perUser: { requestsPerHour: number; maxConcurrent: number };
    perAgent: { requestsPerDay: number };
  };
  api: {
    host: string;
    port: number;
    corsOrigins: string[];
    apiKeys: ApiKey[];
    bodyLimitBytes: number;
    sse: { heartbeatMs: number; pollMs: number; maxClientsPerRun: number };
  };
  storage: {
    runsDir?: string;
    layout: 'seed' | 'reference';
    extraRoots: string[];
    minFreeBytes: number;
    /** Cap per agent-stdout/stderr file; 0 = unlimited. */
    maxLogBytes: number;
    /** Audit log rotates past this size (5 copies kept). */
    auditMaxBytes: number;
  };
  webhook?: { url: string; events: string[]; secret?: string; timeoutMs: number };
  /** Non-fatal findings (inline tokens, loose token file modes) for the caller to log. */
  warnings: string[];
}

export const DEFAULTS = {
  timeoutMs: 300_000,
  maxConcurrentRuns: 16,
  maxRestarts: 100,
  restartDelayMs: 1_000,
  childWaitTimeoutMs: 300_000,
  stopGraceMs: 30_000,
  maxRetries: 3,
  retryBaseDelayMs: 2_000,
  host: '127.0.0.1',
  port: 8080,
  bodyLimitBytes: 1_048_576,
  minFreeBytes: 100 * 1024 * 1024,
  maxLogBytes: 100 * 1024 * 1024,
  auditMaxBytes: 50 * 1024 * 1024,
} as const;

// ---- schema -------------------------------------------------------------------------------

function toMs(value: number | string): number {
  return durationToMs(value) ?? 0;
}

function toBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const n = Number(m?.[1] ?? 0);
  const unit = (m?.[2] ?? '').toLowerCase();
  const mult: Record<string, number> = {
    '': 1,
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
  };
  return Math.round(n * (mult[unit] ?? 1));
}

/** The config schema, built on first use (see zod-lazy.ts). */
const configSchema = lazySchema((z) => {
  /** Seconds as a number, or a Go-style duration string (`15m`, `1h30m`, `500ms`). */
  const SECONDS_EXPECTED = 'expected a positive number of seconds or a duration like 30s, 15m, 1h';
  const seconds = z.union(
    [
      z.number({ error: SECONDS_EXPECTED }).check(z.positive({ error: SECONDS_EXPECTED })),
      z
        .string({ error: SECONDS_EXPECTED })
        .check(z.regex(DURATION_PATTERN, { error: SECONDS_EXPECTED })),
    ],
    { error: SECONDS_EXPECTED },
  );

  const nonNegInt = z.int({ error: 'expected a whole number' }).check(z.minimum(0));
  const port = z
    .int()
    .check(z.minimum(0), z.maximum(65535, { error: 'expected a port number 0-65535' }));
  const SIZE_EXPECTED = 'expected a size in bytes or like 10MB, 1GiB';
  const sizeBytes = z.union(
    [
      nonNegInt,
      z
        .string()
        .check(z.regex(/^\d+(?:\.\d+)?\s*(?:B|KB|KiB|MB|MiB|GB|GiB)?$/i, { error: SIZE_EXPECTED })),
    ],
    { error: SIZE_EXPECTED },
  );
  const opt = z.optional;
  const nonEmpty = z.string().check(z.minLength(1));
  const stringList = z.union([z.string(), z.array(z.string())]);

  const agentSchema = z.strictObject({
    type: opt(z.string()),
    cli: opt(stringList),
    command: opt(stringList),
    args: opt(z.array(z.string())),
    model: opt(z.string()),
    base_url: opt(z.url({ error: 'expected a URL like https://api.example.com' })),
    timeout: opt(seconds),
    idle_timeout: opt(seconds),
    token: opt(z.string()),
    token_file: opt(z.string()),
    env: opt(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
    max_retries: opt(nonNegInt),
    retry_delay: opt(seconds),
  });

  const apiKeySchema = z.strictObject({
    user: nonEmpty,
    key: opt(nonEmpty),
    key_file: opt(z.string()),
  });

  return z.strictObject({
    agents: opt(z.record(z.string(), z.nullable(agentSchema))),
    defaults: opt(
      z.strictObject({
        agent: opt(z.string()),
        timeout: opt(seconds),
        max_concurrent_runs: opt(nonNegInt),
        max_concurrent_root_tasks: opt(nonNegInt),
        max_restarts: opt(nonNegInt),
        restart_delay: opt(seconds),
        child_wait_timeout: opt(seconds),
        stop_grace: opt(seconds),
        max_retries: opt(nonNegInt),
        retry_delay: opt(seconds),
        diversification: opt(z.record(z.string(), z.unknown())),
      }),
    ),
    rate_limits: opt(
      z.strictObject({
        per_user: opt(
          z.strictObject({
            requests_per_hour: opt(nonNegInt),
            max_concurrent: opt(nonNegInt),
          }),
        ),
        per_agent: opt(z.strictObject({ requests_per_day: opt(nonNegInt) })),
      }),
    ),
    api: opt(
      z.strictObject({
        host: opt(nonEmpty),
        port: opt(port),
        cors_origins: opt(z.array(z.string())),
        auth_enabled: opt(z.boolean()),
        api_key: opt(z.string()),
        api_keys: opt(z.array(apiKeySchema)),
        body_limit: opt(sizeBytes),
        sse: opt(
          z.strictObject({
            poll_interval_ms: opt(nonNegInt),
            discovery_interval_ms: opt(nonNegInt),
            heartbeat_interval_s: opt(nonNegInt),
            max_clients_per_run: opt(nonNegInt),
          }),
        ),
      }),
    ),
    storage: opt(
      z.strictObject({
        runs_dir: opt(z.string()),
        extra_roots: opt(z.array(z.string())),
        layout: opt(z.enum(['seed', 'reference'])),
        min_free: opt(sizeBytes),
        max_log_bytes: opt(sizeBytes),
        audit_max_bytes: opt(sizeBytes),
      }),
    ),
    webhook: opt(
      z.strictObject({
        url: z.url(),
        events: opt(z.array(z.string())),
        secret: opt(z.string()),
        timeout: opt(seconds),
      }),
    ),
  });
});

type RawConfig = z.infer<ReturnType<typeof configSchema>>;
type RawAgent = NonNullable<NonNullable<RawConfig['agents']>[string]>;

// ---- discovery ----------------------------------------------------------------------------

export interface LoadConfigOptions {
  /** `--config`; an explicit path that does not exist is an error. */
  configPath?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Candidate files when no `--config`/CONDUCTOR_CONFIG is given, in order. */
export function configCandidates(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const list = [join(cwd, 'config.yaml'), join(cwd, 'config.yml')];
  if (env.HOME)
    list.push(
      join(env.HOME, '.run-agent', 'config.yaml'),
      join(env.HOME, '.run-agent', 'config.yml'),
      // The reference's home file; read, never created here.
      join(env.HOME, '.run-agent', 'conductor-loop.hcl'),
    );
  return list;
}

/**
 * Which file `loadConfig` would read: `--config` > CONDUCTOR_CONFIG > ./config.yaml >
 * ./config.yml > ~/.run-agent/config.y(a)ml > ~/.run-agent/conductor-loop.hcl.
 */
export function discoverConfigPath(options: LoadConfigOptions = {}): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.configPath ?? (env.CONDUCTOR_CONFIG || undefined);
  if (explicit !== undefined) {
    const path = resolve(cwd, expandHome(explicit, env));
    if (!isFile(path)) throw new ConfigError('CONFIG_NOT_FOUND', `config file not found: ${path}`);
    return path;
  }
  return configCandidates(cwd, env).find(isFile);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---- loading ------------------------------------------------------------------------------

/** Load, validate and resolve the configuration (an empty config when no file exists). */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const path = discoverConfigPath(options);
  let raw: RawConfig = {};
  if (path !== undefined) {
    raw = parseConfigFile(path);
  }
  return resolveConfig(raw, path, env);
}

/** Parse and validate one YAML file, or HCL when it ends in `.hcl` (no defaults applied). */
export function parseConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      errnoCode(error) === 'EACCES' ? 'permission denied' : (errnoCode(error) ?? String(error));
    throw new ConfigError('CONFIG_UNREADABLE', `config ${path}: cannot read: ${reason}`);
  }
  let data: unknown;
  if (extname(path) === '.hcl') data = parseHclConfig(text, path);
  else {
    try {
      data = parseYaml(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new ConfigError('CONFIG_INVALID', `config ${path}: invalid YAML: ${reason}`);
    }
  }
  if (data === undefined || data === null) return {};
  const result = configSchema().safeParse(data);
  if (!result.success) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `config ${path}: ${describeIssues(result.error.issues)}`,
    );
  }
  return result.data;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const key = issue.path.map(String).join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        const prefix = issue.path.length > 0 ? `${key}.` : '';
        return `unknown key ${issue.keys.map((k) => prefix + k).join(', ')}`;
      }
      return `${key}: ${issue.message}`;
    })
    .join('; ');
}

function resolveConfig(
  raw: RawConfig,
  path: string | undefined,
  env: NodeJS.ProcessEnv,
): ResolvedConfig {
  const where = path ?? 'config';
  const baseDir = path !== undefined ? dirname(path) : process.cwd();
  const warnings: string[] = [];
  const d = raw.defaults ?? {};
  const defaults = {
    timeoutMs: d.timeout !== undefined ? toMs(d.timeout) : DEFAULTS.timeoutMs,
    maxConcurrentRuns: d.max_concurrent_runs ?? DEFAULTS.maxConcurrentRuns,
    maxRestarts: d.max_restarts ?? DEFAULTS.maxRestarts,
    restartDelayMs: d.restart_delay !== undefined ? toMs(d.restart_delay) : DEFAULTS.restartDelayMs,
    childWaitTimeoutMs:
      d.child_wait_timeout !== undefined ? toMs(d.child_wait_timeout) : DEFAULTS.childWaitTimeoutMs,
    stopGraceMs: d.stop_grace !== undefined ? toMs(d.stop_grace) : DEFAULTS.stopGraceMs,
    maxRetries: d.max_retries ?? DEFAULTS.maxRetries,
    retryBaseDelayMs: d.retry_delay !== undefined ? toMs(d.retry_delay) : DEFAULTS.retryBaseDelayMs,
  };

  const agents: Record<string, AgentConfig> = {};
  for (const [name, spec] of Object.entries(raw.agents ?? {})) {
    agents[name] = resolveAgent(name, spec ?? {}, { where, baseDir, env, defaults, warnings });
  }
  if (
    d.agent !== undefined &&
    agents[d.agent] === undefined &&
    !(AGENT_TYPES as readonly string[]).includes(d.agent)
  ) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `config ${where}: defaults.agent: unknown agent ${JSON.stringify(d.agent)} (configured: ${Object.keys(agents).join(', ') || 'none'})`,
    );
  }

  const apiRaw = raw.api ?? {};
  const apiKeys: ApiKey[] = [];
  for (const [i, entry] of (apiRaw.api_keys ?? []).entries()) {
    const key =
      entry.key ??
      (entry.key_file !== undefined
        ? readSecretFile(
            resolveFrom(baseDir, entry.key_file, env),
            `api.api_keys.${i}.key_file`,
            where,
            warnings,
          )
        : undefined);
    if (key === undefined) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `config ${where}: api.api_keys.${i}: expected key or key_file`,
      );
    }
    apiKeys.push({ user: entry.user, key });
  }
  if (apiRaw.api_key) apiKeys.push({ user: 'default', key: apiRaw.api_key });
  if (env.CONDUCTOR_API_KEY) apiKeys.push({ user: 'env', key: env.CONDUCTOR_API_KEY });

  const rl = raw.rate_limits ?? {};
  const storageRaw = raw.storage ?? {};
  const resolved: ResolvedConfig = {
    agents,
    defaults,
    rateLimits: {
      perUser: {
        requestsPerHour: rl.per_user?.requests_per_hour ?? 100,
        maxConcurrent: rl.per_user?.max_concurrent ?? 5,
      },
      perAgent: { requestsPerDay: rl.per_agent?.requests_per_day ?? 1000 },
    },
    api: {
      host: apiRaw.host ?? DEFAULTS.host,
      port: apiRaw.port ?? DEFAULTS.port,
      corsOrigins: apiRaw.cors_origins ?? [],
      apiKeys,
      bodyLimitBytes:
        apiRaw.body_limit !== undefined ? toBytes(apiRaw.body_limit) : DEFAULTS.bodyLimitBytes,
      sse: {
        heartbeatMs: (apiRaw.sse?.heartbeat_interval_s ?? 15) * 1000,
        pollMs: apiRaw.sse?.poll_interval_ms ?? 500,
        maxClientsPerRun: apiRaw.sse?.max_clients_per_run ?? 50,
      },
    },
    storage: {
      layout: storageRaw.layout ?? 'seed',
      extraRoots: (storageRaw.extra_roots ?? []).map((p) => resolveFrom(baseDir, p, env)),
      minFreeBytes:
        storageRaw.min_free !== undefined ? toBytes(storageRaw.min_free) : DEFAULTS.minFreeBytes,
      maxLogBytes:
        storageRaw.max_log_bytes !== undefined
          ? toBytes(storageRaw.max_log_bytes)
          : DEFAULTS.maxLogBytes,
      auditMaxBytes:
        storageRaw.audit_max_bytes !== undefined
          ? toBytes(storageRaw.audit_max_bytes)
          : DEFAULTS.auditMaxBytes,
    },
    warnings,
  };
  if (path !== undefined) resolved.path = path;
  if (d.agent !== undefined) resolved.defaultAgent = d.agent;
  if (storageRaw.runs_dir)
    resolved.storage.runsDir = resolveFrom(baseDir, storageRaw.runs_dir, env);
  if (raw.webhook) {
    resolved.webhook = {
      url: raw.webhook.url,
      events: raw.webhook.events ?? [],
      timeoutMs: raw.webhook.timeout !== undefined ? toMs(raw.webhook.timeout) : 10_000,
    };
    if (raw.webhook.secret !== undefined) resolved.webhook.secret = raw.webhook.secret;
  }
  return resolved;
}

interface AgentContext {
  where: string;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  defaults: ResolvedConfig['defaults'];
  warnings: string[];
}

function resolveAgent(name: string, spec: RawAgent, ctx: AgentContext): AgentConfig {
  const key = `agents.${name}`;
  const fail = (detail: string): never => {
    throw new ConfigError('CONFIG_INVALID', `config ${ctx.where}: ${detail}`);
  };
  const nameProblem = safeIdProblem(name);
  if (nameProblem !== undefined) fail(`${key}: invalid agent name: ${nameProblem}`);

  const executable = spec.command ?? spec.cli;
  const command =
    executable === undefined
      ? undefined
      : [
          ...(typeof executable === 'string' ? splitCommand(executable) : executable),
          ...(spec.args ?? []),
        ];
  const typeName = (
    spec.type ?? (isAgentType(name.toLowerCase()) ? name.toLowerCase() : command ? 'command' : name)
  ).toLowerCase();
  if (!isAgentType(typeName)) {
    fail(
      `${key}.type: expected one of ${AGENT_TYPES.join(', ')} (got ${JSON.stringify(spec.type ?? name)})`,
    );
  }
  const type = typeName as AgentType;
  if (type === 'command' && (command === undefined || command.length === 0 || command[0] === '')) {
    fail(`${key}.command: expected the executable (and args) for a command agent`);
  }
  if (spec.token !== undefined && spec.token_file !== undefined) {
    fail(`${key}: token and token_file are mutually exclusive; keep token_file`);
  }

  const agent: AgentConfig = {
    name,
    type,
    timeoutMs: spec.timeout !== undefined ? toMs(spec.timeout) : ctx.defaults.timeoutMs,
    env: Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, String(v)])),
    maxRetries: spec.max_retries ?? ctx.defaults.maxRetries,
    retryBaseDelayMs:
      spec.retry_delay !== undefined ? toMs(spec.retry_delay) : ctx.defaults.retryBaseDelayMs,
  };
  if (command !== undefined)
    agent.command = command.map((part, i) => (i === 0 ? expandHome(part, ctx.env) : part));
  if (spec.model !== undefined) agent.model = spec.model;
  if (spec.base_url !== undefined) agent.baseUrl = spec.base_url;
  if (spec.idle_timeout !== undefined) agent.idleTimeoutMs = toMs(spec.idle_timeout);

  const envOverride =
    ctx.env[`CONDUCTOR_AGENT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`];
  if (envOverride) {
    agent.token = envOverride.trim();
  } else if (spec.token_file !== undefined) {
    const file = resolveFrom(ctx.baseDir, spec.token_file, ctx.env);
    agent.tokenFile = file;
    agent.token = readSecretFile(file, `${key}.token_file`, ctx.where, ctx.warnings);
  } else if (spec.token !== undefined && spec.token !== '') {
    ctx.warnings.push(
      `config ${ctx.where}: ${key}.token: inline token in the config file; move it to a token_file (chmod 600) or an environment variable`,
    );
    agent.token = spec.token;
  }
  return agent;
}

function isAgentType(value: string): value is AgentType {
  return (AGENT_TYPES as readonly string[]).includes(value);
}

/** Split a `cli: "/usr/bin/claude --model x"` string on spaces (quotes group words). */
function splitCommand(text: string): string[] {
  const parts: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g))
    parts.push(m[1] ?? m[2] ?? m[3] ?? '');
  return parts;
}

function resolveFrom(baseDir: string, path: string, env: NodeJS.ProcessEnv): string {
  const expanded = expandHome(path, env);
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
}

/**
 * A secret file: trimmed contents, must exist, be a regular non-empty file. A file that
 * group or others can read is accepted with a warning (the seed asks for mode 600).
 */
function readSecretFile(file: string, key: string, where: string, warnings: string[]): string {
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile())
      throw new ConfigError(
        'TOKEN_FILE_INVALID',
        `config ${where}: ${key}: ${file} is not a regular file`,
      );
    mode = stat.mode;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'TOKEN_FILE_MISSING',
      `config ${where}: ${key}: token file not found: ${file}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(
      'TOKEN_FILE_UNREADABLE',
      `config ${where}: ${key}: cannot read token file ${file}`,
    );
  }
  if (text === '')
    throw new ConfigError(
      'TOKEN_FILE_EMPTY',
      `config ${where}: ${key}: token file ${file} is empty`,
    );
  if ((mode & 0o077) !== 0) {
    warnings.push(
      `config ${where}: ${key}: token file ${file} is readable by group/others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    );
  }
  return text;
}
