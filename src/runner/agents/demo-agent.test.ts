import { describe, expect, it } from 'vitest';
import { mentionedFiles, userPromptOf } from './demo-agent.js';

describe('demo agent prompt helpers', () => {
  it('takes the user prompt after the preamble and drops the restart prefix', () => {
    const prompt =
      'JRUN_ID=1\nWrite output.md to /r/output.md\n\n---\n\nContinue working on the following:\n\nFix a.ts\n---\n\nmore';
    expect(userPromptOf(prompt)).toBe('Fix a.ts\n---\n\nmore');
    expect(userPromptOf('plain prompt')).toBe('plain prompt');
  });

  it('finds file-like words, not versions or URLs', () => {
    const text =
      'Read README.md, `src/app.ts` and ./docs/guide.md. Version 1.2.3 at https://example.org/x.html (see (notes.txt)).';
    expect(mentionedFiles(text)).toEqual([
      'README.md',
      'src/app.ts',
      './docs/guide.md',
      'notes.txt',
    ]);
  });

  it('limits the list', () => {
    const text = Array.from({ length: 30 }, (_, i) => `f${i}.ts`).join(' ');
    expect(mentionedFiles(text, 5)).toHaveLength(5);
  });
});
