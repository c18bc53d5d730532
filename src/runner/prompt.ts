/**
 * prompt.md (compat.md §6): a preamble that tells the agent where it is and how to use the
 * bus, sub-runs and DONE, then `\n---\n\n`, then the trimmed user prompt. Restart attempts
 * prefix the user prompt so the agent knows it is continuing earlier work.
 */
import { join } from 'node:path';
import { FILES } from '../core/layout.js';

export const RESTART_PREFIX = 'Continue working on the following:\n\n';

export interface PromptContext {
  taskDir: string;
  runDir: string;
  projectId: string;
  taskId: string;
  runId: string;
  parentRunId?: string | undefined;
  busPath?: string | undefined;
  conductorUrl?: string | undefined;
}

export function buildPreamble(ctx: PromptContext): string {
  const vars: [string, string | undefined][] = [
    ['JRUN_TASK_FOLDER', ctx.taskDir],
    ['JRUN_RUN_FOLDER', ctx.runDir],
    ['JRUN_PROJECT_ID', ctx.projectId],
    ['JRUN_TASK_ID', ctx.taskId],
    ['JRUN_ID', ctx.runId],
    ['JRUN_PARENT_ID', ctx.parentRunId],
    ['JRUN_MESSAGE_BUS', ctx.busPath],
    ['JRUN_CONDUCTOR_URL', ctx.conductorUrl],
  ];
  const lines = vars
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${value}`);
  return [
    ...lines,
    `Write output.md to ${join(ctx.runDir, FILES.output)}`,
    '',
    '## Message Bus',
    'Report progress and findings on the task message bus (JRUN_MESSAGE_BUS is used automatically):',
    '  run-agent bus post --type PROGRESS --body "what you are doing"',
    '  run-agent bus post --type FACT --body "something others can rely on"',
    'Message types: FACT, PROGRESS, DECISION, ERROR, QUESTION, INFO.',
    '',
    '## Sub-Agent Spawning (RLM Pattern)',
    'Delegate independent pieces to child runs; start them in parallel and wait for them:',
    '  run-agent job --project $JRUN_PROJECT_ID --task $JRUN_TASK_ID --parent-run-id $JRUN_ID --agent claude --prompt "..." &',
    'Steps: ASSESS the work, DECOMPOSE it into focused parts, EXECUTE them as sub-runs, SYNTHESIZE the results.',
    '',
    '## Completion',
    `When the task is fully done, create ${join(ctx.taskDir, FILES.done)} to stop restarts.`,
  ].join('\n');
}

/** The full prompt.md text. `restart` adds the continuation prefix of later attempts. */
export function buildPromptFile(ctx: PromptContext, userPrompt: string, restart: boolean): string {
  const body = (restart ? RESTART_PREFIX : '') + userPrompt.trim();
  return `${buildPreamble(ctx)}\n---\n\n${body}\n`;
}
