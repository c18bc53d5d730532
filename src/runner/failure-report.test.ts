import { describe, expect, it } from 'vitest';
import { formatFailureReport, type FailureFacts } from './failure-report.js';

const facts: FailureFacts = {
  status: 'timeout',
  errorSummary: 'timed out',
  taskId: 'task-1',
  agent: 'claude',
  timestamp: '2026-11-26T15:00:00.000000000Z',
  exitCode: 143,
  exitSignal: 'SIGTERM',
  cwd: '/w/task-1',
  runDir: '/r/p/task-1/run-1',
  progress: ['tool Bash: ls', 'api retry 1/10 (rate_limit)'],
  stderrTail: 'Error: 429 rate limit exceeded',
  timeoutS: 300,
  relevantFiles: ['/r/p/task-1/run-1/agent-stderr.txt'],
};

describe('formatFailureReport', () => {
  it("follows the seed's Task Failed layout", () => {
    const text = formatFailureReport(facts);
    const headings = text.split('\n').filter((line) => line.startsWith('#'));
    expect(headings).toEqual([
      '# Task Failed',
      '## Error',
      '## Context',
      '## Attempted Actions',
      '## Environment',
      '## Suggested Remediation',
      '## stderr (last lines)',
    ]);
    expect(text).toContain(
      '- Task: task-1\n- Agent: claude\n- Timestamp: 2026-11-26T15:00:00.000000000Z\n- Exit Code: 143 (SIGTERM)\n',
    );
    expect(text).toContain(
      '1. tool Bash: ls\n2. api retry 1/10 (rate_limit)\n3. The run ended as `timeout`: timed out\n',
    );
    expect(text).toContain(
      '- Working directory: /w/task-1\n- Relevant files: /r/p/task-1/run-1/agent-stderr.txt\n',
    );
  });

  it('suggests what fits what we know', () => {
    const text = formatFailureReport(facts);
    expect(text).toContain('time limit (300 s)');
    expect(text).toContain('rate limits');
    const missing = formatFailureReport({
      ...facts,
      status: 'failed',
      exitCode: 127,
      exitSignal: undefined,
      stderrTail: '',
    });
    expect(missing).toContain('executable was not found');
    expect(missing).not.toContain('## stderr');
    const key = formatFailureReport({
      ...facts,
      status: 'failed',
      exitCode: 1,
      stderrTail: 'invalid x-api-key (401)',
    });
    expect(key).toContain('check the API key');
  });
});
