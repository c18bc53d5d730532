import { describe, expect, it } from 'vitest';
import { looksLikeJsonl, summarizeJsonLine } from './jsonl';

describe('summarizeJsonLine', () => {
  it('reads claude stream-json', () => {
    expect(
      summarizeJsonLine(
        '{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Done: one file."}]},"session_id":"s"}',
      ),
    ).toEqual({ kind: 'assistant', text: 'Done: one file.' });
    expect(
      summarizeJsonLine(
        '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"ls"}}]},"session_id":"s"}',
      ),
    ).toEqual({ kind: 'tool', text: 'Bash {"command":"ls"}' });
    expect(summarizeJsonLine('{"type":"result","subtype":"success","result":"Done."}')).toEqual({
      kind: 'result',
      text: 'success Done.',
    });
  });

  it('reads codex --json', () => {
    expect(
      summarizeJsonLine(
        '{"type":"item.completed","item":{"type":"command_execution","command":"ls","exit_code":0}}',
      ),
    ).toEqual({ kind: 'command', text: '$ ls (exit 0)' });
    expect(
      summarizeJsonLine('{"type":"turn.failed","error":{"message":"stream disconnected"}}'),
    ).toEqual({
      kind: 'error',
      text: 'turn failed: stream disconnected',
    });
  });

  it('reads gemini stream-json', () => {
    expect(
      summarizeJsonLine('{"type":"message","role":"assistant","content":"One file","delta":true}'),
    ).toEqual({
      kind: 'assistant',
      text: 'One file',
    });
    expect(
      summarizeJsonLine(
        '{"type":"tool_use","tool_name":"run_shell_command","parameters":{"command":"ls"}}',
      ),
    ).toEqual({
      kind: 'tool',
      text: 'run_shell_command {"command":"ls"}',
    });
  });

  it('leaves plain text alone', () => {
    expect(summarizeJsonLine('demo agent: done')).toBeUndefined();
    expect(summarizeJsonLine('{not json}')).toBeUndefined();
    expect(looksLikeJsonl(['{"type":"a"}', '{"type":"b"}', 'x'])).toBe(true);
    expect(looksLikeJsonl(['hello', 'world'])).toBe(false);
  });
});
