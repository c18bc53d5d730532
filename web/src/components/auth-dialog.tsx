// Shown after any 401: asks for the API key, keeps it in sessionStorage, retries.
import { useQueryClient } from '@tanstack/react-query';
import { useState, useSyncExternalStore } from 'react';
import { isAuthRequired, onAuthChange, setApiKey } from '../api/auth';
import { treeStore } from '../lib/tree-store';
import { Dialog } from './dialog';

export function AuthDialog() {
  const required = useSyncExternalStore(onAuthChange, isAuthRequired);
  const [key, setKey] = useState('');
  const queryClient = useQueryClient();
  return (
    <Dialog open={required} title="API key required" onClose={() => undefined}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!key.trim()) return;
          setApiKey(key.trim());
          setKey('');
          void queryClient.invalidateQueries();
          void treeStore.load();
        }}
      >
        <p className="dialog-body">
          This server requires an API key. It is kept for this browser tab only and sent as an
          Authorization header.
        </p>
        <label className="field">
          <span>API key</span>
          <input
            type="password"
            autoComplete="off"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            autoFocus
            required
          />
        </label>
        <div className="dialog-actions">
          <button type="submit" className="button primary">
            Connect
          </button>
        </div>
      </form>
    </Dialog>
  );
}
