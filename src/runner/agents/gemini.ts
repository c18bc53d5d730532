/**
 * Gemini CLI (agent-streams.md §3): `gemini --screen-reader true --approval-mode yolo
 * --output-format stream-json` with the workspace trusted by env. Final text is every
 * assistant `content` piece appended as-is; usage from `result.stats`; exit 55 = untrusted.
 */
import { createCliBackend } from './cli-backend.js';
import { num, obj, parseJsonl, show, str, type JsonObject } from './jsonl.js';
import { briefInput, jsonlProgressParser, line } from './progress.js';
import type { ProgressLine, ProgressParser, RunFiles, RunSummary } from './types.js';

export const GEMINI_ARGS = [
  '--screen-reader',
  'true',
  '--approval-mode',
  'yolo',
  '--output-format',
  'stream-json',
] as const;

export const GEMINI_UNTRUSTED_EXIT = 55;

export function summarizeGemini(files: RunFiles): RunSummary {
  const summary: RunSummary = {};
  let text = '';
  for (const event of parseJsonl(files.stdout)) {
    if (event.type === 'init') {
      summary.sessionId ??= str(event.session_id);
      summary.model ??= str(event.model);
    } else if (
      event.type === 'message' &&
      (event.role === undefined || event.role === 'assistant')
    ) {
      text += str(event.content) ?? '';
    } else if (event.type === 'result') {
      const stats = obj(event.stats);
      if (stats !== undefined) {
        summary.usage = {
          input_tokens: num(stats.input_tokens),
          output_tokens: num(stats.output_tokens),
          cached_input_tokens: num(stats.cached),
        };
      }
      if (event.status === 'error') {
        summary.failed = true;
        summary.errorMessage = str(obj(event.error)?.message) ?? 'gemini reported an error';
      }
    }
  }
  if (text !== '') summary.finalText = text;
  return summary;
}

/** Assistant deltas arrive in small pieces: emit them as whole lines. */
function geminiProgressParser(): ProgressParser {
  let pending = '';
  const flush = (): ProgressLine[] => {
    const out = pending.trim() === '' ? [] : [line('text', pending)];
    pending = '';
    return out;
  };
  return jsonlProgressParser((event: JsonObject): ProgressLine[] => {
    if (event.type === 'message') {
      if (event.role === 'user') return [];
      pending += str(event.content) ?? '';
      const cut = pending.lastIndexOf('\n');
      if (cut === -1) return [];
      const done = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      return done
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => line('text', l));
    }
    const out = flush();
    switch (event.type) {
      case 'init':
        out.push(line('info', `session started (model ${show(event.model)})`));
        break;
      case 'tool_use':
        out.push(line('tool', `${String(event.tool_name)} ${briefInput(event.parameters)}`));
        break;
      case 'tool_result':
        if (event.status === 'error') {
          out.push(
            line('error', str(obj(event.error)?.message) ?? `tool ${String(event.tool_id)} failed`),
          );
        }
        break;
      case 'error':
        out.push(
          line(event.severity === 'warning' ? 'info' : 'error', str(event.message) ?? 'error'),
        );
        break;
      case 'result':
        out.push(
          event.status === 'error'
            ? line('error', str(obj(event.error)?.message) ?? 'failed')
            : line('info', 'finished'),
        );
        break;
      default:
        break;
    }
    return out;
  });
}

export const geminiBackend = createCliBackend({
  type: 'gemini',
  args: GEMINI_ARGS,
  modelFlag: '--model',
  extraEnv: () => ({ GEMINI_CLI_TRUST_WORKSPACE: 'true' }),
  createProgressParser: geminiProgressParser,
  summarize: summarizeGemini,
  explainFailure(exitCode, stderrTail) {
    if (exitCode === GEMINI_UNTRUSTED_EXIT) {
      return 'gemini refused an untrusted folder (exit 55): set GEMINI_CLI_TRUST_WORKSPACE=true or pass --skip-trust';
    }
    if (
      exitCode !== 0 &&
      /output-format/.test(stderrTail) &&
      /unknown|invalid|not supported/i.test(stderrTail)
    ) {
      return 'gemini CLI rejected --output-format stream-json';
    }
    return undefined;
  },
});
