// Dashboard panel: every run that is running right now, longest-running first.
import { useMemo, useSyncExternalStore } from 'react';
import { Link } from 'react-router';
import { runPath, taskPath } from '../lib/build-tree';
import { formatDuration, runDurationMs } from '../lib/format';
import { treeStore } from '../lib/tree-store';
import { StatusBadge } from './status-badge';
import { useNow } from './use-now';

export function RunningNow() {
  const data = useSyncExternalStore(treeStore.subscribe, treeStore.getSnapshot);
  const now = useNow();
  const running = useMemo(
    () =>
      [...data.runs.values()]
        .filter((run) => run.status === 'running' || run.status === 'queued')
        .sort((a, b) => (a.start_time ?? '').localeCompare(b.start_time ?? '')),
    [data],
  );
  return (
    <section className="panel" aria-labelledby="running-now">
      <h2 id="running-now">Running now ({running.length})</h2>
      {running.length === 0 ? (
        <p className="state-line">Nothing is running.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Run</th>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Running for</th>
            </tr>
          </thead>
          <tbody>
            {running.slice(0, 50).map((run) => (
              <tr key={run.run_id}>
                <td>
                  <Link to={taskPath(run.project_id, run.task_id)}>
                    {run.project_id} / {run.task_id}
                  </Link>
                </td>
                <td>
                  <Link className="mono" to={runPath(run.project_id, run.task_id, run.run_id)}>
                    {run.run_id}
                  </Link>
                </td>
                <td>{run.agent}</td>
                <td>
                  <StatusBadge status={run.status} compact />
                </td>
                <td>{formatDuration(runDurationMs(run, now))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
