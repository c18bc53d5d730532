/**
 * Claude Code (agent-streams.md §1): `claude -p … --output-format stream-json --verbose`.
 * Final text is `result.result` on success, else the joined top-level assistant text; usage
 * and cost come from the `result` line.
 */
import { createCliBackend } from './cli-backend.js';
import { arr, num, obj, parseJsonl, show, str, type JsonObject } from './jsonl.js';
import { briefInput, jsonlProgressParser, line } from './progress.js';
import type { LaunchContext, ProgressLine, RunFiles, RunSummary } from './types.js';

export const CLAUDE_ARGS = [
  '-p',
  '--input-format',
  'text',
  '--output-format',
  'stream-json',
  '--verbose',
  '--tools',
  'default',
  '--permission-mode',
  'bypassPermissions',
] as const;

/** As root, bypassPermissions is refused unless the CLI is told it runs in a sandbox. */
function claudeEnv(_ctx: LaunchContext): Record<string, string> {
  return process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {};
}

function assistantBlocks(event: JsonObject): JsonObject[] {
  return arr(obj(event.message)?.content).filter((b): b is JsonObject => obj(b) !== undefined);
}

export function summarizeClaude(files: RunFiles): RunSummary {
  const summary: RunSummary = {};
  const texts: string[] = [];
  let result: JsonObject | undefined;
  for (const event of parseJsonl(files.stdout)) {
    summary.sessionId ??= str(event.session_id);
    if (event.type === 'system' && event.subtype === 'init') {
      summary.model ??= str(event.model);
      summary.agentVersion ??= str(event.claude_code_version);
    } else if (event.type === 'assistant' && event.parent_tool_use_id == null) {
      summary.model ??= str(obj(event.message)?.model);
      for (const block of assistantBlocks(event)) {
        const text = block.type === 'text' ? str(block.text) : undefined;
        if (text !== undefined && text.trim() !== '') texts.push(text);
      }
    } else if (event.type === 'result' && result === undefined) {
      result = event;
    }
  }
  if (result !== undefined) {
    const ok = result.subtype === 'success' && result.is_error !== true;
    const resultText = str(result.result);
    summary.finalText =
      ok && resultText !== undefined && resultText.trim() !== '' ? resultText : joined(texts);
    summary.usage = claudeUsage(result);
    if (!ok) {
      summary.failed = true;
      const errors = arr(result.errors).filter((e): e is string => typeof e === 'string');
      summary.errorMessage =
        errors.length > 0 ? errors.join('; ') : (resultText ?? `claude ${String(result.subtype)}`);
    }
  } else {
    summary.finalText = joined(texts);
  }
  return summary;
}

function joined(texts: string[]): string | undefined {
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function claudeUsage(result: JsonObject): RunSummary['usage'] {
  const usage = obj(result.usage);
  const cacheRead = num(usage?.cache_read_input_tokens);
  const cacheWrite = num(usage?.cache_creation_input_tokens);
  const cached =
    cacheRead === undefined && cacheWrite === undefined
      ? undefined
      : (cacheRead ?? 0) + (cacheWrite ?? 0);
  return {
    input_tokens: num(usage?.input_tokens),
    output_tokens: num(usage?.output_tokens),
    cached_input_tokens: cached,
    cost_usd: num(result.total_cost_usd),
  };
}

function claudeProgress(event: JsonObject): ProgressLine[] {
  switch (event.type) {
    case 'system':
      if (event.subtype === 'init')
        return [line('info', `session started (model ${show(event.model)})`)];
      if (event.subtype === 'api_retry') {
        const status = event.error_status == null ? '' : ` HTTP ${show(event.error_status)}`;
        return [
          line(
            'retry',
            `API retry ${String(event.attempt)}/${String(event.max_retries)} in ${String(event.retry_delay_ms)} ms (${show(event.error, 'unknown')}${status})`,
          ),
        ];
      }
      return [];
    case 'assistant': {
      if (event.parent_tool_use_id != null) return [];
      return assistantBlocks(event).flatMap((block): ProgressLine[] => {
        if (block.type === 'tool_use')
          return [line('tool', `${String(block.name)} ${briefInput(block.input)}`)];
        if (block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') {
          return [line('text', block.text)];
        }
        return [];
      });
    }
    case 'result': {
      if (event.subtype === 'success' && event.is_error !== true) {
        const cost = num(event.total_cost_usd);
        return [
          line(
            'info',
            `finished: ${show(event.num_turns)} turns${cost === undefined ? '' : `, $${cost.toFixed(4)}`}`,
          ),
        ];
      }
      const errors = arr(event.errors).filter((e) => typeof e === 'string');
      return [
        line(
          'error',
          errors.length > 0 ? errors.join('; ') : String(event.result ?? event.subtype),
        ),
      ];
    }
    default:
      return [];
  }
}

export const claudeBackend = createCliBackend({
  type: 'claude',
  args: CLAUDE_ARGS,
  modelFlag: '--model',
  extraEnv: claudeEnv,
  createProgressParser: () => jsonlProgressParser(claudeProgress),
  summarize: summarizeClaude,
  explainFailure(exitCode, stderrTail) {
    if (exitCode !== 0 && stderrTail.includes('cannot be used with root/sudo')) {
      return 'claude refuses bypassPermissions as root: set IS_SANDBOX=1 in the agent env';
    }
    if (exitCode !== 0 && stderrTail.includes('requires --verbose')) {
      return 'claude rejected --output-format stream-json (needs --verbose)';
    }
    return undefined;
  },
});
