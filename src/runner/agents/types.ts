/**
 * The contract between the runner and one agent backend. A backend never spawns anything:
 * the supervisor starts `argv + env` under its /bin/sh wrapper (stdin = prompt.md,
 * stdout/stderr = the run's files), and after exit asks the backend to summarise the files.
 */

import type { AgentConfig, AgentType } from '../../core/config.js';

/** Agent types and the resolved agent config are owned by src/core/config.ts. */
export type { AgentConfig, AgentType };

export interface LaunchContext {
  agent: AgentConfig;
  runDir: string;
  promptPath: string;
  cwd: string;
  /** Already has JRUN_* and PATH. */
  baseEnv: NodeJS.ProcessEnv;
}

export interface AgentLaunch {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** For run-info `commandline`: "<cmd> <args…> < <prompt_path>". */
  commandline: string;
}

export interface RunUsage {
  input_tokens?: number;
  output_tokens?: number;
  cached_input_tokens?: number;
  cost_usd?: number;
}

export interface RunSummary {
  /** Text for output.md (the runner writes it only if the agent did not). */
  finalText?: string;
  usage?: RunUsage;
  sessionId?: string;
  model?: string;
  agentVersion?: string;
  /** Failure reported by the agent itself (error result, turn.failed ...). */
  errorMessage?: string;
  /** The agent's stream says the run failed even if the exit code is 0. */
  failed?: boolean;
}

export interface ProgressLine {
  kind: 'tool' | 'text' | 'retry' | 'error' | 'info';
  text: string;
}

export interface ProgressParser {
  /** Feed the next stdout chunk (any size, may split lines); returns readable lines. */
  push(chunk: string): ProgressLine[];
}

export interface RunFiles {
  stdout: string;
  stderr: string;
  runDir: string;
}

export interface AgentBackend {
  readonly type: AgentType;
  /** REST agents need a key; CLI agents may rely on their own login. */
  readonly requiresKey: boolean;
  /** Env var the key goes into (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, ...). */
  readonly keyEnvVar?: string;
  buildLaunch(ctx: LaunchContext): AgentLaunch;
  /** Incremental parser for live progress (UI, `output --follow`). */
  createProgressParser(): ProgressParser;
  /** After exit: summarise the run from its files. Pure except reading side files in runDir. */
  summarize(files: RunFiles): RunSummary;
  /** `<cli> --version` (10 s timeout, cached per executable); '' on failure or for REST/command. */
  detectVersion(agent: AgentConfig, env: NodeJS.ProcessEnv): Promise<string>;
  /** Optional: a more specific error_summary from exit code + stderr tail. */
  explainFailure?(exitCode: number, stderrTail: string, summary: RunSummary): string | undefined;
}
