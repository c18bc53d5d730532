/**
 * What claude, codex and gemini share: the executable is `agent.command` (path + fixed args)
 * or the type name found on PATH at spawn time, followed by the CLI's own flags; the key and
 * env come from env.ts; the version from `--version`. Each CLI file adds its flags, extra env,
 * stream parsing and failure hints.
 */
import { formatCommandline } from './commandline.js';
import { explainCommonFailure } from './failure.js';
import { buildAgentEnv, KEY_ENV_VARS } from './env.js';
import { detectCliVersion } from './version.js';
import type {
  AgentBackend,
  AgentConfig,
  AgentLaunch,
  AgentType,
  LaunchContext,
  ProgressParser,
  RunFiles,
  RunSummary,
} from './types.js';

export interface CliBackendSpec {
  type: AgentType;
  /** Flags after the executable (and after agent.command's fixed args). */
  args: readonly string[];
  /** Flag that selects a model (`--model`, `-m`), used when the agent config names one. */
  modelFlag: string;
  /** Extra env set by the backend (before agent.env, so config can override it). */
  extraEnv?: (ctx: LaunchContext) => Record<string, string>;
  createProgressParser: () => ProgressParser;
  summarize: (files: RunFiles) => RunSummary;
  explainFailure?: (
    exitCode: number,
    stderrTail: string,
    summary: RunSummary,
  ) => string | undefined;
}

/** Executable plus fixed args for a CLI agent. */
export function cliCommand(agent: AgentConfig, fallback: string): string[] {
  return agent.command !== undefined && agent.command.length > 0 ? [...agent.command] : [fallback];
}

/** The CLI's flags plus the model flag, kept before a trailing `-` (stdin) positional. */
function cliArgs(spec: CliBackendSpec, model: string | undefined): string[] {
  const args = [...spec.args];
  if (model === undefined || model === '') return args;
  const at = args.at(-1) === '-' ? args.length - 1 : args.length;
  args.splice(at, 0, spec.modelFlag, model);
  return args;
}

export function createCliBackend(spec: CliBackendSpec): AgentBackend {
  const keyEnvVar = KEY_ENV_VARS[spec.type];
  return {
    type: spec.type,
    requiresKey: false,
    keyEnvVar,
    buildLaunch(ctx: LaunchContext): AgentLaunch {
      const argv = [...cliCommand(ctx.agent, spec.type), ...cliArgs(spec, ctx.agent.model)];
      const extra = spec.extraEnv?.(ctx) ?? {};
      const env = buildAgentEnv(
        { ...ctx.agent, env: { ...extra, ...ctx.agent.env } },
        ctx.baseEnv,
        keyEnvVar,
      );
      return { argv, env, commandline: formatCommandline(argv, ctx.promptPath) };
    },
    createProgressParser: spec.createProgressParser,
    summarize: spec.summarize,
    detectVersion(agent: AgentConfig, env: NodeJS.ProcessEnv): Promise<string> {
      const exe = cliCommand(agent, spec.type)[0] ?? spec.type;
      return detectCliVersion(exe, env);
    },
    explainFailure(exitCode: number, stderrTail: string, summary: RunSummary): string | undefined {
      return (
        spec.explainFailure?.(exitCode, stderrTail, summary) ??
        explainCommonFailure(spec.type, exitCode, summary)
      );
    },
  };
}
