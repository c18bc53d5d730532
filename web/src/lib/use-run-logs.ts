// stdout/stderr of a run: the last bytes of each file first, then the run's SSE stream
// (resumed at those sizes) while it is live.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../api/client';
import { openStream, type StreamState } from '../api/sse';
import { useKeyVersion } from '../api/use-key-version';
import { appendLog, emptyLog, logFromTail, type LogBuffer } from './log-buffer';

const TAIL_BYTES = 512 * 1024;

export interface RunLogs {
  stdout: LogBuffer;
  stderr: LogBuffer;
  state: StreamState | 'loading' | 'done';
  error?: string;
}

export function useRunLogs(runId: string, live: boolean): RunLogs {
  const [logs, setLogs] = useState<RunLogs>({
    stdout: emptyLog(),
    stderr: emptyLog(),
    state: 'loading',
  });
  const queryClient = useQueryClient();
  const keyVersion = useKeyVersion();
  const shownRun = useRef<string | undefined>(undefined);

  useEffect(() => {
    const abort = new AbortController();
    let stream: { close: () => void } | undefined;
    // Same run going from live to finished keeps its lines on screen until the reload lands.
    if (shownRun.current !== runId)
      setLogs({ stdout: emptyLog(), stderr: emptyLog(), state: 'loading' });
    shownRun.current = runId;
    const tail = (name: 'stdout' | 'stderr') =>
      api
        .runFile(runId, name, TAIL_BYTES, abort.signal)
        .then((file) => logFromTail(file.text, file.sizeBytes))
        .catch((error: unknown) => {
          if ((error as Error).name === 'AbortError') throw error;
          return emptyLog();
        });
    Promise.all([tail('stdout'), tail('stderr')])
      .then(([stdout, stderr]) => {
        if (abort.signal.aborted) return;
        setLogs({ stdout, stderr, state: live ? 'connecting' : 'done' });
        if (!live) return;
        stream = openStream({
          path: `api/v1/runs/${encodeURIComponent(runId)}/stream`,
          lastEventId: `s=${stdout.bytes};e=${stderr.bytes}`,
          endOnClose: true,
          onState: (state) =>
            setLogs((prev) => ({ ...prev, state: state === 'ended' ? 'done' : state })),
          onEvent: (event) => {
            if (event.event === 'status') {
              void queryClient.invalidateQueries({ queryKey: ['run', runId] });
              return;
            }
            if (event.event !== 'log') return;
            let data: { stream?: string; offset?: number; text?: string; line?: string };
            try {
              data = JSON.parse(event.data) as typeof data;
            } catch {
              return;
            }
            // The reference sends whole lines (`line`); we send chunks (`text`).
            const text = data.text ?? (data.line !== undefined ? `${data.line}\n` : '');
            const key = data.stream === 'stderr' ? 'stderr' : 'stdout';
            setLogs((prev) => ({ ...prev, [key]: appendLog(prev[key], text, data.offset) }));
          },
        });
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted)
          setLogs((prev) => ({ ...prev, state: 'done', error: errorMessage(error) }));
      });
    return () => {
      abort.abort();
      stream?.close();
    };
  }, [runId, live, queryClient, keyVersion]);

  return logs;
}
