import { describe, expect, it } from 'vitest';
import { claudeBackend, summarizeClaude } from './claude.js';

const S = '"session_id":"7f1c2a9e-0b4d-4c55-9a51-2f7a3b8e6d10"';
// Example lines from agent-streams.md §1.
const INIT = `{"type":"system","subtype":"init",${S},"cwd":"/w/task","model":"claude-sonnet-4-6","tools":["Bash","Edit"],"mcp_servers":[],"permissionMode":"bypassPermissions","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.332"}`;
const TOOL = `{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}],"stop_reason":"tool_use","usage":{"input_tokens":12,"output_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":4000}},"parent_tool_use_id":null,${S}}`;
const USER = `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"README.md","is_error":false}]},"parent_tool_use_id":null,${S}}`;
const TEXT = `{"type":"assistant","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"Done: one file."}],"stop_reason":"end_turn","usage":{"input_tokens":8,"output_tokens":6,"cache_creation_input_tokens":0,"cache_read_input_tokens":4050}},"parent_tool_use_id":null,${S}}`;
const RESULT = `{"type":"result","subtype":"success","is_error":false,"duration_ms":5210,"duration_api_ms":4800,"num_turns":2,"result":"Done: one file.","stop_reason":"end_turn","total_cost_usd":0.0123,"usage":{"input_tokens":20,"output_tokens":36,"cache_creation_input_tokens":0,"cache_read_input_tokens":8050},"modelUsage":{"claude-sonnet-4-6":{"inputTokens":20,"outputTokens":36,"cacheReadInputTokens":8050,"cacheCreationInputTokens":0,"costUSD":0.0123}},"permission_denials":[],${S}}`;
const MAX_TURNS = `{"type":"result","subtype":"error_max_turns","is_error":true,"duration_ms":9000,"duration_api_ms":8000,"num_turns":10,"stop_reason":null,"total_cost_usd":0.2,"usage":{"input_tokens":100,"output_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"modelUsage":{},"permission_denials":[],"errors":["max turns (10) reached"],${S}}`;

const files = (stdout: string) => ({ stdout, stderr: '', runDir: '/nonexistent' });

describe('claude summarize', () => {
  it('takes result.result, usage, cost, session, model and version from the stream', () => {
    const summary = summarizeClaude(files([INIT, TOOL, USER, TEXT, RESULT].join('\n') + '\n'));
    expect(summary).toEqual({
      sessionId: '7f1c2a9e-0b4d-4c55-9a51-2f7a3b8e6d10',
      model: 'claude-sonnet-4-6',
      agentVersion: '2.1.332',
      finalText: 'Done: one file.',
      usage: { input_tokens: 20, output_tokens: 36, cached_input_tokens: 8050, cost_usd: 0.0123 },
    });
  });

  it('on an error result joins top-level assistant text and reports errors[]', () => {
    const sub = TEXT.replace('"parent_tool_use_id":null', '"parent_tool_use_id":"toolu_9"').replace(
      'Done: one file.',
      'sub-agent text',
    );
    const summary = summarizeClaude(files([INIT, TEXT, sub, MAX_TURNS].join('\n')));
    expect(summary.finalText).toBe('Done: one file.');
    expect(summary.failed).toBe(true);
    expect(summary.errorMessage).toBe('max turns (10) reached');
    expect(summary.usage).toEqual({
      input_tokens: 100,
      output_tokens: 50,
      cached_input_tokens: 0,
      cost_usd: 0.2,
    });
  });

  it('treats success with is_error as a failure whose message is the result text', () => {
    const apiError = RESULT.replace('"is_error":false', '"is_error":true').replace(
      '"result":"Done: one file."',
      '"result":"API Error: 401 invalid x-api-key"',
    );
    const summary = summarizeClaude(files([INIT, apiError].join('\n')));
    expect(summary.failed).toBe(true);
    expect(summary.errorMessage).toBe('API Error: 401 invalid x-api-key');
    expect(summary.finalText).toBeUndefined();
  });

  it('ignores unknown event types and bad lines; no result means text from assistant lines', () => {
    const stdout = [
      'garbage',
      '{"type":"rate_limit_event"}',
      '{"type":"stream_event","event":{}}',
      TEXT,
      '{"type":"assist',
    ].join('\n');
    expect(summarizeClaude(files(stdout))).toEqual({
      sessionId: '7f1c2a9e-0b4d-4c55-9a51-2f7a3b8e6d10',
      model: 'claude-sonnet-4-6',
      finalText: 'Done: one file.',
    });
  });
});

describe('claude progress', () => {
  it('turns init, tool use, text, api_retry and result into readable lines', () => {
    const parser = claudeBackend.createProgressParser();
    const retry = `{"type":"system","subtype":"api_retry","attempt":2,"max_retries":10,"retry_delay_ms":4000,"error_status":529,"error":"overloaded",${S}}`;
    const all = [INIT, TOOL, retry, USER, TEXT, RESULT].join('\n') + '\n';
    const lines = [parser.push(all.slice(0, 100)), parser.push(all.slice(100))].flat();
    expect(lines).toEqual([
      { kind: 'info', text: 'session started (model claude-sonnet-4-6)' },
      { kind: 'tool', text: 'Bash ls' },
      { kind: 'retry', text: 'API retry 2/10 in 4000 ms (overloaded HTTP 529)' },
      { kind: 'text', text: 'Done: one file.' },
      { kind: 'info', text: 'finished: 2 turns, $0.0123' },
    ]);
  });
});

describe('claude failure hints', () => {
  it('explains the root refusal and the missing --verbose', () => {
    const explain = claudeBackend.explainFailure!.bind(claudeBackend);
    expect(
      explain(1, '--dangerously-skip-permissions cannot be used with root/sudo privileges', {}),
    ).toMatch(/IS_SANDBOX=1/);
    expect(explain(1, 'Error: --output-format=stream-json requires --verbose', {})).toMatch(
      /--verbose/,
    );
    expect(explain(127, 'sh: 1: claude: not found', {})).toMatch(/not found/);
    expect(explain(1, '', { errorMessage: 'max turns (10) reached' })).toBe(
      'claude: max turns (10) reached',
    );
    expect(explain(1, '', {})).toBeUndefined();
  });
});
