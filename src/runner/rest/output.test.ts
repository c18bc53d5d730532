import { describe, expect, it } from 'vitest';
import { renderRestOutput } from './output.js';

describe('renderRestOutput', () => {
  it('appends a deduplicated Sources list: citations first, titles from search results', () => {
    const text = renderRestOutput({
      text: 'Paris is the capital [1].',
      citations: ['https://example.org/a', 'https://example.org/b'],
      searchResults: [
        { title: 'A', url: 'https://example.org/a' },
        { title: 'C', url: 'https://example.org/c' },
        { title: 'A again', url: 'https://example.org/a' },
      ],
    });
    expect(text).toBe(
      'Paris is the capital [1].\n\n## Sources\n\n1. [A](https://example.org/a)\n2. https://example.org/b\n3. [C](https://example.org/c)\n',
    );
  });

  it('is just the text without sources', () => {
    expect(renderRestOutput({ text: 'hi\n\n', citations: [], searchResults: [] })).toBe('hi\n');
  });
});
