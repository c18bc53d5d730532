import { ApiError, errorMessage } from '../api/client';

/** Loading / error line for a query, with the server's message. */
export function QueryState({ error, what }: { error: unknown; what: string }) {
  if (error) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <p className="state-line error" role="alert">
        {notFound ? `${what} not found.` : `Could not load ${what}: ${errorMessage(error)}`}
      </p>
    );
  }
  return (
    <p className="state-line" role="status">
      Loading {what}…
    </p>
  );
}
