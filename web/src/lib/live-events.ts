// The one global /api/v1/events stream: feeds the sidebar index and refreshes whatever
// detail queries the changed run or task affects. Its state drives the connection light.
import type { QueryClient } from '@tanstack/react-query';
import { openStream, type StreamState } from '../api/sse';
import type { RunSummary, TaskSummary } from '@client/api-types';
import { treeStore } from './tree-store';

type Listener = () => void;
let state: StreamState = 'connecting';
const listeners = new Set<Listener>();

export function connectionState(): StreamState {
  return state;
}

export function onConnectionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Starts the stream; returns a stop function. */
export function startLiveEvents(queryClient: QueryClient): () => void {
  const dirty = new Set<string>();
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let wasDown = false;
  // Batch invalidations: a busy server emits many events per second.
  const invalidate = (...keys: string[]) => {
    for (const key of keys) dirty.add(key);
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      const keys = [...dirty];
      dirty.clear();
      for (const key of keys)
        void queryClient.invalidateQueries({ queryKey: JSON.parse(key) as unknown[] });
    }, 250);
  };

  const stream = openStream({
    path: 'api/v1/events',
    onState: (next) => {
      // After an outage, reload the index: events may have been missed beyond resume.
      if (next === 'live' && wasDown) {
        void treeStore.load();
        void queryClient.invalidateQueries();
      }
      wasDown = next === 'reconnecting' || next === 'offline';
      state = next;
      for (const listener of listeners) listener();
    },
    onEvent: (event) => {
      if (event.event !== 'run' && event.event !== 'task') return;
      let payload: unknown;
      try {
        payload = JSON.parse(event.data);
      } catch {
        return;
      }
      if (event.event === 'run') {
        const run = payload as RunSummary;
        if (!run.run_id) return;
        treeStore.upsertRun(run);
        invalidate(
          JSON.stringify(['run', run.run_id]),
          JSON.stringify(['task', run.project_id, run.task_id]),
          JSON.stringify(['stats']),
        );
      } else {
        const task = payload as TaskSummary;
        if (!task.task_id) return;
        treeStore.upsertTask(task);
        invalidate(
          JSON.stringify(['task', task.project_id, task.task_id]),
          JSON.stringify(['tasks', task.project_id]),
          JSON.stringify(['stats']),
        );
      }
    },
  });
  return () => {
    clearTimeout(flushTimer);
    stream.close();
  };
}
