import { useSyncExternalStore } from 'react';
import { connectionState, onConnectionChange } from '../lib/live-events';

const LABELS = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  ended: 'Offline',
} as const;

/** Live / reconnecting / offline light for the global event stream. */
export function ConnectionIndicator() {
  const state = useSyncExternalStore(onConnectionChange, connectionState);
  return (
    <span
      className={`connection connection-${state}`}
      role="status"
      aria-live="polite"
      data-state={state}
    >
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
