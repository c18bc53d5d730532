/** output.md for REST agents: the answer, then a deduplicated Sources list (perplexity). */
import type { ChatResult } from './chat-stream.js';

export function renderRestOutput(
  result: Pick<ChatResult, 'text' | 'citations' | 'searchResults'>,
): string {
  const text = result.text.trim();
  const sources = sourcesOf(result);
  if (sources.length === 0) return `${text}\n`;
  const list = sources.map(
    (s, i) => `${i + 1}. ${s.title === undefined ? s.url : `[${s.title}](${s.url})`}`,
  );
  return `${text}\n\n## Sources\n\n${list.join('\n')}\n`;
}

/** Citations keep their order (answers cite them as [n]); search results add titles and extras. */
export function sourcesOf(
  result: Pick<ChatResult, 'citations' | 'searchResults'>,
): { url: string; title?: string }[] {
  const titles = new Map<string, string | undefined>();
  for (const r of result.searchResults) if (!titles.has(r.url)) titles.set(r.url, r.title);
  const urls = [...new Set([...result.citations, ...result.searchResults.map((r) => r.url)])];
  return urls.map((url) => {
    const title = titles.get(url);
    return title === undefined || title === '' ? { url } : { url, title };
  });
}
