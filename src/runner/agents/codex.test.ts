import { describe, expect, it } from 'vitest';
import { codexBackend, summarizeCodex } from './codex.js';

// Example lines from agent-streams.md §2.
const LINES = [
  '{"type":"thread.started","thread_id":"019a3c1e-5b7d-7e21-b4a0-6f2d9c8e1a33"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"README.md\\n","exit_code":0,"status":"completed"}}',
  '{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"The repo has one file."}}',
  '{"type":"turn.completed","usage":{"input_tokens":9120,"cached_input_tokens":8064,"cache_write_input_tokens":0,"output_tokens":210,"reasoning_output_tokens":128}}',
];
const FAILED = '{"type":"turn.failed","error":{"message":"stream disconnected"}}';
const files = (stdout: string) => ({ stdout, stderr: '', runDir: '/nonexistent' });

describe('codex summarize', () => {
  it('uses the last agent_message, thread id and turn usage', () => {
    expect(summarizeCodex(files(LINES.join('\n')))).toEqual({
      sessionId: '019a3c1e-5b7d-7e21-b4a0-6f2d9c8e1a33',
      finalText: 'The repo has one file.',
      usage: { input_tokens: 9120, output_tokens: 210, cached_input_tokens: 8064 },
    });
  });

  it('sums usage over several turns and keeps the last message', () => {
    const second = [
      '{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Second answer."}}',
      '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":5}}',
    ];
    const summary = summarizeCodex(files([...LINES, ...second].join('\n')));
    expect(summary.finalText).toBe('Second answer.');
    expect(summary.usage).toEqual({
      input_tokens: 9130,
      output_tokens: 215,
      cached_input_tokens: 8064,
    });
  });

  it('turn.failed is a failure; reconnect errors alone are not fatal', () => {
    const reconnect = '{"type":"error","message":"Reconnecting... 2/5 (stream error)"}';
    const summary = summarizeCodex(files([LINES[0], LINES[1], reconnect, FAILED].join('\n')));
    expect(summary).toMatchObject({ failed: true, errorMessage: 'stream disconnected' });
    const recovered = summarizeCodex(files([LINES[0], reconnect, ...LINES.slice(1)].join('\n')));
    expect(recovered.failed).toBeUndefined();
  });

  it('no completed turn is a failure carrying the last error', () => {
    const summary = summarizeCodex(
      files(
        '{"type":"thread.started","thread_id":"t"}\n{"type":"error","message":"Reconnecting... 5/5"}\n',
      ),
    );
    expect(summary).toMatchObject({ failed: true, errorMessage: 'Reconnecting... 5/5' });
  });

  it('ignores unknown events and items', () => {
    const extra = [
      '{"type":"item.updated","item":{"type":"todo_list","items":[]}}',
      '{"type":"brand.new"}',
      'oops',
    ];
    expect(summarizeCodex(files([...extra, ...LINES].join('\n'))).finalText).toBe(
      'The repo has one file.',
    );
  });
});

describe('codex progress', () => {
  it('shows commands with exit codes, messages, retries and failures', () => {
    const parser = codexBackend.createProgressParser();
    const lines = parser.push(
      [...LINES, '{"type":"error","message":"Reconnecting... 1/5"}', FAILED].join('\n') + '\n',
    );
    expect(lines).toEqual([
      { kind: 'info', text: 'thread 019a3c1e-5b7d-7e21-b4a0-6f2d9c8e1a33' },
      { kind: 'tool', text: '$ bash -lc ls (exit 0)' },
      { kind: 'text', text: 'The repo has one file.' },
      { kind: 'info', text: 'turn completed (9120 in / 210 out tokens)' },
      { kind: 'retry', text: 'Reconnecting... 1/5' },
      { kind: 'error', text: 'stream disconnected' },
    ]);
  });
});
