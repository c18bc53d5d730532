// Downloads a run file through fetch (so the API key header is sent), then saves the blob.
import { useState } from 'react';
import { api, errorMessage } from '../api/client';
import type { RunFileName } from '@client/api-types';

const FILE_NAMES: Record<RunFileName, string> = {
  'output.md': 'output.md',
  stdout: 'agent-stdout.txt',
  stderr: 'agent-stderr.txt',
  prompt: 'prompt.md',
};

export function DownloadButton({ runId, name }: { runId: string; name: RunFileName }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        className="button small"
        disabled={busy}
        aria-label={`Download ${FILE_NAMES[name]}`}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            const blob = await api.runFileBlob(runId, name);
            const url = URL.createObjectURL(blob);
            const link = document.createElement('a');
            link.href = url;
            link.download = `${runId}-${FILE_NAMES[name]}`;
            document.body.append(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          } catch (err) {
            setError(errorMessage(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        ↓ {FILE_NAMES[name]}
      </button>
      {error ? (
        <span className="inline-error" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
