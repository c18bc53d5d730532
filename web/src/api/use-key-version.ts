import { useSyncExternalStore } from 'react';
import { getKeyVersion, onAuthChange } from './auth';

/** Re-renders (and re-runs dependent effects) after a new API key is saved. */
export function useKeyVersion(): number {
  return useSyncExternalStore(onAuthChange, getKeyVersion);
}
