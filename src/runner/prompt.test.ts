import { describe, expect, it } from 'vitest';
import { buildPromptFile, RESTART_PREFIX } from './prompt.js';

const ctx = {
  taskDir: '/r/p/t',
  runDir: '/r/p/t/run-1',
  projectId: 'p',
  taskId: 't',
  runId: 'run-1',
  busPath: '/r/p/t/TASK-MESSAGE-BUS.md',
};

describe('prompt.md', () => {
  it('is preamble, separator and the trimmed prompt', () => {
    const text = buildPromptFile(ctx, '  Fix the bug.\n\n', false);
    expect(text.startsWith('JRUN_TASK_FOLDER=/r/p/t\nJRUN_RUN_FOLDER=/r/p/t/run-1\n')).toBe(true);
    expect(text).toContain('JRUN_MESSAGE_BUS=/r/p/t/TASK-MESSAGE-BUS.md\n');
    expect(text).not.toContain('JRUN_PARENT_ID');
    expect(text).toContain('Write output.md to /r/p/t/run-1/output.md\n');
    for (const heading of [
      '## Message Bus',
      '## Sub-Agent Spawning (RLM Pattern)',
      '## Completion',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('--parent-run-id $JRUN_ID');
    expect(text).toContain('/r/p/t/DONE');
    expect(text.endsWith('\n---\n\nFix the bug.\n')).toBe(true);
  });

  it('prefixes restarts and lists the parent run', () => {
    const text = buildPromptFile({ ...ctx, parentRunId: 'run-0' }, 'Go on', true);
    expect(text).toContain('JRUN_PARENT_ID=run-0\n');
    expect(text.endsWith(`\n---\n\n${RESTART_PREFIX}Go on\n`)).toBe(true);
  });
});
