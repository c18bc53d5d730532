import { describe, expect, it } from 'vitest';
import { geminiBackend, summarizeGemini } from './gemini.js';

// Example lines from agent-streams.md §3.
const LINES = [
  '{"type":"init","timestamp":"2026-11-26T10:00:00.000Z","session_id":"5c0a8f12-3e4b-4d6c-8a9e-1f2b3c4d5e6f","model":"gemini-2.5-pro"}',
  '{"type":"message","timestamp":"2026-11-26T10:00:00.010Z","role":"user","content":"List the files\\n"}',
  '{"type":"tool_use","timestamp":"2026-11-26T10:00:02.000Z","tool_name":"run_shell_command","tool_id":"call-1","parameters":{"command":"ls"}}',
  '{"type":"tool_result","timestamp":"2026-11-26T10:00:02.400Z","tool_id":"call-1","status":"success","output":"README.md"}',
  '{"type":"message","timestamp":"2026-11-26T10:00:03.000Z","role":"assistant","content":"One file: ","delta":true}',
  '{"type":"message","timestamp":"2026-11-26T10:00:03.050Z","role":"assistant","content":"README.md.","delta":true}',
  '{"type":"result","timestamp":"2026-11-26T10:00:03.100Z","status":"success","stats":{"total_tokens":5300,"input_tokens":5200,"output_tokens":100,"cached":4000,"input":1200,"duration_ms":3100,"tool_calls":1,"models":{"gemini-2.5-pro":{"total_tokens":5300,"input_tokens":5200,"output_tokens":100,"cached":4000,"input":1200}}}}',
];
const ERROR =
  '{"type":"result","timestamp":"2026-11-26T10:00:09.000Z","status":"error","error":{"type":"FatalAuthenticationError","message":"API key not valid"}}';
const files = (stdout: string) => ({ stdout, stderr: '', runDir: '/nonexistent' });

describe('gemini summarize', () => {
  it('concatenates assistant deltas and reads stats usage', () => {
    expect(summarizeGemini(files(LINES.join('\n')))).toEqual({
      sessionId: '5c0a8f12-3e4b-4d6c-8a9e-1f2b3c4d5e6f',
      model: 'gemini-2.5-pro',
      finalText: 'One file: README.md.',
      usage: { input_tokens: 5200, output_tokens: 100, cached_input_tokens: 4000 },
    });
  });

  it('appends repeated delta pieces as-is (no prefix de-dup)', () => {
    const piece = (c: string) =>
      JSON.stringify({ type: 'message', role: 'assistant', content: c, delta: true });
    expect(summarizeGemini(files([piece('A'), piece('A'), piece('B')].join('\n'))).finalText).toBe(
      'AAB',
    );
  });

  it('an error result is a failure with its message', () => {
    expect(summarizeGemini(files([LINES[0], ERROR].join('\n')))).toMatchObject({
      failed: true,
      errorMessage: 'API key not valid',
    });
  });
});

describe('gemini progress and failures', () => {
  it('joins deltas into lines and reports tools', () => {
    const parser = geminiBackend.createProgressParser();
    const out = parser.push(LINES.join('\n') + '\n');
    expect(out).toEqual([
      { kind: 'info', text: 'session started (model gemini-2.5-pro)' },
      { kind: 'tool', text: 'run_shell_command ls' },
      { kind: 'text', text: 'One file: README.md.' },
      { kind: 'info', text: 'finished' },
    ]);
  });

  it('explains exit 55 and a rejected stream-json flag', () => {
    const explain = geminiBackend.explainFailure!.bind(geminiBackend);
    expect(explain(55, '', {})).toMatch(/untrusted folder/);
    expect(explain(1, 'Unknown argument: output-format', {})).toBe(
      'gemini CLI rejected --output-format stream-json',
    );
    expect(explain(1, '', { errorMessage: 'API key not valid' })).toBe('gemini: API key not valid');
  });
});
