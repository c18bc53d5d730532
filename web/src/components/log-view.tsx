// Terminal-like view of a log buffer with ANSI colours. Sticks to the bottom while the user
// is there; scrolling up pauses it and shows "Jump to live".
import { memo, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ansiSegments } from '../lib/ansi';
import { looksLikeJsonl, summarizeJsonLine } from '../lib/jsonl';
import type { LogBuffer } from '../lib/log-buffer';

const Line = memo(function Line({ text, formatted }: { text: string; formatted: boolean }) {
  const summary = formatted ? summarizeJsonLine(text) : undefined;
  if (summary) {
    return (
      <div className="log-line jl" title={text.length > 4000 ? undefined : text}>
        <span className={`jl-kind jl-${summary.kind.replace(/\W+/g, '-')}`}>{summary.kind}</span>
        {summary.text}
      </div>
    );
  }
  return (
    <div className="log-line">
      {ansiSegments(text).map((segment, index) => (
        <span key={index} className={segment.className} style={segment.style}>
          {segment.text}
        </span>
      ))}
      {text === '' ? '\u200b' : null}
    </div>
  );
});

export function LogView({ log, label, live }: { log: LogBuffer; label: string; live: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [raw, setRaw] = useState(false);
  // Agents' JSON streams (claude/codex/gemini) read better summarized; raw stays one click away.
  const isJsonl = useMemo(() => looksLikeJsonl(log.lines.slice(0, 20)), [log.lines]);
  const formatted = isJsonl && !raw;
  const lineCount = log.lines.length + (log.partial ? 1 : 0);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element && following) element.scrollTop = element.scrollHeight;
  }, [log, following]);

  const onScroll = () => {
    const element = ref.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
    if (atBottom !== following) setFollowing(atBottom);
  };

  return (
    <div className="log-wrap">
      {isJsonl ? (
        <button
          type="button"
          className="button small log-mode"
          aria-pressed={raw}
          onClick={() => setRaw(!raw)}
        >
          {raw ? 'Show summarized events' : 'Show raw JSON'}
        </button>
      ) : null}
      <div
        ref={ref}
        className="log"
        role="log"
        aria-label={label}
        aria-live="off"
        tabIndex={0}
        onScroll={onScroll}
        data-lines={lineCount}
      >
        {log.droppedLines > 0 ? (
          <div className="log-note">
            Earlier output not shown here; download the file for all of it.
          </div>
        ) : null}
        {lineCount === 0 ? (
          <div className="log-note">{live ? 'Waiting for output…' : 'No output.'}</div>
        ) : null}
        {log.lines.map((line, index) => (
          <Line key={index + log.droppedLines} text={line} formatted={formatted} />
        ))}
        {log.partial ? <Line text={log.partial} formatted={false} /> : null}
      </div>
      {!following ? (
        <button
          type="button"
          className="button small jump-live"
          onClick={() => {
            setFollowing(true);
            const element = ref.current;
            if (element) element.scrollTop = element.scrollHeight;
          }}
        >
          ↓ Jump to {live ? 'live' : 'end'}
        </button>
      ) : null}
    </div>
  );
}
