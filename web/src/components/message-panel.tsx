// Message bus of a project or task: history, live stream, type filter, compose box.
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '../api/client';
import { openStream, type StreamState } from '../api/sse';
import { useKeyVersion } from '../api/use-key-version';
import type { Message } from '@client/api-types';
import { formatTime } from '../lib/format';

const POST_TYPES = ['INFO', 'FACT', 'PROGRESS', 'QUESTION', 'DECISION', 'WARNING', 'ERROR', 'USER'];
const HISTORY = 200;

export function MessagePanel({ projectId, taskId }: { projectId: string; taskId?: string }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [state, setState] = useState<StreamState | 'loading'>('loading');
  const [error, setError] = useState<string>();
  const [typeFilter, setTypeFilter] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const keyVersion = useKeyVersion();

  useEffect(() => {
    const abort = new AbortController();
    let stream: { close: () => void } | undefined;
    const seen = new Set<string>();
    setMessages([]);
    setState('loading');
    setError(undefined);
    const add = (incoming: Message[]) => {
      const fresh = incoming.filter((m) => m.msg_id && !seen.has(m.msg_id));
      if (fresh.length === 0) return;
      for (const m of fresh) seen.add(m.msg_id);
      setMessages((prev) => prev.concat(fresh).slice(-2000));
    };
    api
      .messages({ project_id: projectId, task_id: taskId, limit: HISTORY })
      .then(({ messages: history }) => {
        if (abort.signal.aborted) return;
        add(history.slice(-HISTORY));
        const last = history[history.length - 1];
        stream = openStream({
          path: 'api/v1/messages/stream',
          query: { project_id: projectId, task_id: taskId },
          lastEventId: last?.msg_id,
          onState: setState,
          onEvent: (event) => {
            if (event.event !== 'message') return;
            try {
              const message = JSON.parse(event.data) as Message;
              if (taskId && message.task_id && message.task_id !== taskId) return;
              add([message]);
            } catch {
              // Ignore a malformed frame; the next one is independent.
            }
          },
        });
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        setError(errorMessage(err));
        setState('offline');
      });
    return () => {
      abort.abort();
      stream?.close();
    };
  }, [projectId, taskId, keyVersion]);

  const types = useMemo(() => [...new Set(messages.map((m) => m.type))].sort(), [messages]);
  const shown = typeFilter ? messages.filter((m) => m.type === typeFilter) : messages;

  useEffect(() => {
    const list = listRef.current;
    if (list && list.scrollHeight - list.scrollTop - list.clientHeight < 80)
      list.scrollTop = list.scrollHeight;
  }, [shown.length]);

  const scope = taskId ? `task ${taskId}` : `project ${projectId}`;
  return (
    <section className="panel bus" aria-label={`Message bus of ${scope}`}>
      <div className="panel-head">
        <h2>Message bus</h2>
        <span className={`stream-state stream-${state}`}>{state === 'live' ? 'live' : state}</span>
        <label className="inline-field">
          <span>Type</span>
          <select
            value={typeFilter}
            onChange={(event) => setTypeFilter(event.target.value)}
            aria-label="Filter messages by type"
          >
            <option value="">All</option>
            {types.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? (
        <p className="inline-error" role="alert">
          {error}
        </p>
      ) : null}
      <ol className="messages" ref={listRef} aria-label="Messages" tabIndex={0}>
        {shown.length === 0 ? (
          <li className="empty">No messages{typeFilter ? ` of type ${typeFilter}` : ''}.</li>
        ) : null}
        {shown.map((message) => (
          <li key={message.msg_id} className={`message msg-${message.type.toLowerCase()}`}>
            <div className="message-head">
              <span className="msg-type">{message.type}</span>
              {!taskId && message.task_id ? (
                <span className="msg-scope">{message.task_id}</span>
              ) : null}
              <time dateTime={message.ts}>{formatTime(message.ts)}</time>
            </div>
            <MessageBody body={message.body} />
          </li>
        ))}
      </ol>
      <ComposeBox projectId={projectId} taskId={taskId} />
    </section>
  );
}

/** Long bodies (run paths, reports) show their first line; the rest folds open. */
function MessageBody({ body }: { body: string }) {
  const newline = body.indexOf('\n');
  if (newline < 0 && body.length <= 280) return <div className="message-body">{body}</div>;
  const head = newline >= 0 ? body.slice(0, newline) : body.slice(0, 200);
  const rest = newline >= 0 ? body.slice(newline + 1) : body.slice(200);
  return (
    <div className="message-body">
      {head}
      <details>
        <summary>more</summary>
        {rest}
      </details>
    </div>
  );
}

function ComposeBox({ projectId, taskId }: { projectId: string; taskId?: string }) {
  const [type, setType] = useState('USER');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <form
      className="compose"
      aria-label="Post a message"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!body.trim()) {
          setError('Write a message first.');
          return;
        }
        setBusy(true);
        setError(undefined);
        try {
          await api.postMessage({ project_id: projectId, task_id: taskId, type, body });
          setBody('');
        } catch (err) {
          setError(errorMessage(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <select
        value={type}
        onChange={(event) => setType(event.target.value)}
        aria-label="Message type"
      >
        {POST_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <textarea
        value={body}
        onChange={(event) => setBody(event.target.value)}
        aria-label="Message body"
        placeholder="Message to the agents…"
        rows={2}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey))
            event.currentTarget.form?.requestSubmit();
        }}
      />
      <button type="submit" className="button primary" disabled={busy}>
        Post
      </button>
      {error ? (
        <p className="inline-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
