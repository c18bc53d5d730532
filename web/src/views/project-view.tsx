// One project: its tasks (paginated by the API, filterable) and the project message bus.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { Breadcrumbs } from '../components/breadcrumbs';
import { MessagePanel } from '../components/message-panel';
import { QueryState } from '../components/query-state';
import { useTitle } from '../components/use-title';
import { StatusBadge } from '../components/status-badge';
import { useNow } from '../components/use-now';
import { taskPath } from '../lib/build-tree';
import { formatRelative } from '../lib/format';

const PAGE = 50;
const TASK_STATUSES = ['queued', 'blocked', 'running', 'done', 'failed', 'stopped', 'idle'];

export function ProjectView() {
  const { projectId = '' } = useParams();
  useTitle(`Project ${projectId}`);
  const [params, setParams] = useSearchParams();
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const status = params.get('status') ?? '';
  const [text, setText] = useState(params.get('q') ?? '');
  const q = params.get('q') ?? '';
  const now = useNow(5000);
  const query = useQuery({
    queryKey: ['tasks', projectId, { page, status, q }],
    queryFn: () => api.tasks(projectId, { limit: PAGE, offset: page * PAGE, status, q }),
    placeholderData: keepPreviousData,
  });
  const update = (patch: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(patch)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next);
  };
  const data = query.data;
  return (
    <section className="view" aria-labelledby="project-title">
      <Breadcrumbs projectId={projectId} />
      <header className="view-head">
        <div>
          <h1 id="project-title">
            Project <span className="mono">{projectId}</span>
          </h1>
          <p className="subtitle">{data ? `${data.total} tasks` : ' '}</p>
        </div>
        <div className="actions">
          <Link className="button primary" to={`/new?project=${encodeURIComponent(projectId)}`}>
            New task in {projectId}
          </Link>
        </div>
      </header>
      <div className="two-col">
        <div className="col-main">
          <section className="panel" aria-labelledby="tasks-heading">
            <div className="panel-head">
              <h2 id="tasks-heading">Tasks</h2>
              <form
                className="inline-form"
                role="search"
                onSubmit={(event) => {
                  event.preventDefault();
                  update({ q: text, page: '' });
                }}
              >
                <input
                  type="search"
                  aria-label="Search tasks"
                  placeholder="Search tasks"
                  value={text}
                  onChange={(event) => setText(event.target.value)}
                />
                <select
                  aria-label="Task status"
                  value={status}
                  onChange={(event) => update({ status: event.target.value, page: '' })}
                >
                  <option value="">All statuses</option>
                  {TASK_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </form>
            </div>
            {data ? (
              data.tasks.length === 0 ? (
                <p className="state-line">No tasks match.</p>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Task</th>
                      <th scope="col">Status</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Runs</th>
                      <th scope="col">Last activity</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.tasks.map((task) => (
                      <tr key={task.task_id}>
                        <td>
                          <Link className="mono" to={taskPath(projectId, task.task_id)}>
                            {task.task_id}
                          </Link>
                        </td>
                        <td>
                          <StatusBadge status={task.status} compact />
                        </td>
                        <td>{task.agent ?? '–'}</td>
                        <td>{task.run_count ?? 0}</td>
                        <td>{formatRelative(task.last_activity, now)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            ) : (
              <QueryState error={query.error} what="tasks" />
            )}
            {data && (page > 0 || data.has_more) ? (
              <nav className="pager" aria-label="Task pages">
                <button
                  type="button"
                  className="button small"
                  disabled={page === 0}
                  onClick={() => update({ page: String(page - 1) })}
                >
                  ← Previous
                </button>
                <span>
                  {data.offset + 1}–{data.offset + data.tasks.length} of {data.total}
                </span>
                <button
                  type="button"
                  className="button small"
                  disabled={!data.has_more}
                  onClick={() => update({ page: String(page + 1) })}
                >
                  Next →
                </button>
              </nav>
            ) : null}
          </section>
        </div>
        <div className="col-side">
          <MessagePanel projectId={projectId} />
        </div>
      </div>
    </section>
  );
}
