/**
 * Codex CLI (agent-streams.md §2): `codex exec --json … -`. Final text is the last completed
 * agent_message; usage is summed over turn.completed; turn.failed (or no completed turn at
 * all) is a failure, while plain `error` events are often just reconnect notices.
 */
import { createCliBackend } from './cli-backend.js';
import { arr, num, obj, parseJsonl, show, str, type JsonObject } from './jsonl.js';
import { jsonlProgressParser, line } from './progress.js';
import type { ProgressLine, RunFiles, RunSummary, RunUsage } from './types.js';

export const CODEX_ARGS = [
  'exec',
  '--json',
  '--dangerously-bypass-approvals-and-sandbox',
  '--skip-git-repo-check',
  '-',
] as const;

function itemText(item: JsonObject): string | undefined {
  return str(item.text) ?? str(item.output_text) ?? str(item.content);
}

export function summarizeCodex(files: RunFiles): RunSummary {
  const summary: RunSummary = {};
  let usage: RunUsage | undefined;
  let turns = 0;
  let lastError: string | undefined;
  for (const event of parseJsonl(files.stdout)) {
    switch (event.type) {
      case 'thread.started':
        summary.sessionId ??= str(event.thread_id);
        break;
      case 'item.completed': {
        const item = obj(event.item);
        if (item !== undefined && (item.type === 'agent_message' || item.type === 'message')) {
          const text = itemText(item);
          if (text !== undefined) summary.finalText = text;
        }
        break;
      }
      case 'turn.completed': {
        turns++;
        usage = addUsage(usage, obj(event.usage));
        break;
      }
      case 'turn.failed':
        summary.failed = true;
        summary.errorMessage = str(obj(event.error)?.message) ?? 'turn failed';
        break;
      case 'error':
        lastError = str(event.message) ?? lastError;
        break;
      default:
        break;
    }
  }
  if (usage !== undefined) summary.usage = usage;
  if (turns === 0 && !summary.failed) {
    summary.failed = true;
    summary.errorMessage = lastError ?? 'codex finished without completing a turn';
  }
  return summary;
}

function addUsage(
  total: RunUsage | undefined,
  usage: JsonObject | undefined,
): RunUsage | undefined {
  if (usage === undefined) return total;
  const add = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  return {
    input_tokens: add(total?.input_tokens, num(usage.input_tokens)),
    output_tokens: add(total?.output_tokens, num(usage.output_tokens)),
    cached_input_tokens: add(total?.cached_input_tokens, num(usage.cached_input_tokens)),
  };
}

function codexProgress(event: JsonObject): ProgressLine[] {
  switch (event.type) {
    case 'thread.started':
      return [line('info', `thread ${String(event.thread_id)}`)];
    case 'item.completed':
      return itemProgress(obj(event.item));
    case 'turn.completed': {
      const usage = obj(event.usage);
      return [
        line(
          'info',
          `turn completed (${String(num(usage?.input_tokens) ?? 0)} in / ${String(num(usage?.output_tokens) ?? 0)} out tokens)`,
        ),
      ];
    }
    case 'turn.failed':
      return [line('error', str(obj(event.error)?.message) ?? 'turn failed')];
    case 'error': {
      const message = str(event.message) ?? 'error';
      return [line(/reconnecting/i.test(message) ? 'retry' : 'error', message)];
    }
    default:
      return [];
  }
}

function itemProgress(item: JsonObject | undefined): ProgressLine[] {
  if (item === undefined) return [];
  switch (item.type) {
    case 'agent_message':
      return [line('text', itemText(item) ?? '')];
    case 'command_execution': {
      const code = num(item.exit_code);
      return [
        line('tool', `$ ${String(item.command)}${code === undefined ? '' : ` (exit ${code})`}`),
      ];
    }
    case 'file_change':
      return arr(item.changes).map((c) =>
        line('tool', `${show(obj(c)?.kind, 'update')} ${String(obj(c)?.path)}`),
      );
    case 'mcp_tool_call':
      return [line('tool', `${String(item.server)}.${String(item.tool)}`)];
    case 'web_search':
      return [line('tool', `search: ${String(item.query)}`)];
    case 'error':
      return [line('error', str(item.message) ?? 'error')];
    default:
      return [];
  }
}

export const codexBackend = createCliBackend({
  type: 'codex',
  args: CODEX_ARGS,
  modelFlag: '-m',
  createProgressParser: () => jsonlProgressParser(codexProgress),
  summarize: summarizeCodex,
});
