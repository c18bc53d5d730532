// One task: status, prompt, its runs in order, stop/resume/delete, and its message bus.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import type { TaskDetail } from '@client/api-types';
import { Breadcrumbs } from '../components/breadcrumbs';
import { ConfirmDialog } from '../components/dialog';
import { MessagePanel } from '../components/message-panel';
import { QueryState } from '../components/query-state';
import { useTitle } from '../components/use-title';
import { shortRunId } from '../components/run-tree';
import { StatusBadge } from '../components/status-badge';
import { useNow } from '../components/use-now';
import { projectPath, runPath, taskPath } from '../lib/build-tree';
import { formatDuration, formatRelative, formatTime, runDurationMs } from '../lib/format';
import { treeStore } from '../lib/tree-store';

const ACTIVE = new Set(['running', 'queued', 'blocked']);

export function TaskView() {
  const { projectId = '', taskId = '' } = useParams();
  useTitle(`Task ${taskId}`);
  const query = useQuery({
    queryKey: ['task', projectId, taskId],
    queryFn: () => api.task(projectId, taskId),
  });
  return (
    <section className="view" aria-labelledby="task-title">
      <Breadcrumbs projectId={projectId} taskId={taskId} />
      {query.data ? <TaskBody task={query.data} /> : <QueryState error={query.error} what="task" />}
    </section>
  );
}

function TaskBody({ task }: { task: TaskDetail }) {
  const now = useNow();
  const runs = task.runs ?? [];
  return (
    <>
      <header className="view-head">
        <div>
          <h1 id="task-title">
            Task <span className="mono">{task.task_id}</span>
          </h1>
          <p className="subtitle">
            <StatusBadge status={task.status} />{' '}
            {task.agent ? <span className="agent">{task.agent}</span> : null} · {runs.length} run
            {runs.length === 1 ? '' : 's'} · last activity {formatRelative(task.last_activity, now)}
          </p>
        </div>
        <TaskActions task={task} />
      </header>
      {task.blocked_by && task.blocked_by.length > 0 ? (
        <p className="callout" role="note">
          Waiting for: {task.blocked_by.join(', ')}
        </p>
      ) : null}
      <div className="two-col">
        <div className="col-main">
          <section className="panel" aria-labelledby="runs-heading">
            <h2 id="runs-heading">Runs (oldest first)</h2>
            {runs.length === 0 ? (
              <p className="state-line">
                No runs yet{task.status === 'queued' ? ': the task is queued.' : '.'}
              </p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Agent</th>
                    <th scope="col">Started</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Exit</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((run, index) => (
                    <tr key={run.run_id}>
                      <td>{run.parent_run_id ? '↳' : index + 1}</td>
                      <td>
                        <Link
                          className="mono"
                          to={runPath(task.project_id, task.task_id, run.run_id)}
                          title={run.run_id}
                        >
                          {shortRunId(run.run_id)}
                        </Link>
                      </td>
                      <td>
                        <StatusBadge status={run.status} compact />
                      </td>
                      <td>{run.agent}</td>
                      <td>{formatTime(run.start_time)}</td>
                      <td>{formatDuration(runDurationMs(run, now))}</td>
                      <td>{run.status === 'running' ? '–' : (run.exit_code ?? '–')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel" aria-labelledby="prompt-heading">
            <h2 id="prompt-heading">Prompt</h2>
            {task.prompt ? (
              <pre className="prompt">{task.prompt}</pre>
            ) : (
              <p className="state-line">No TASK.md prompt.</p>
            )}
            {task.depends_on && task.depends_on.length > 0 ? (
              <p>
                Depends on:{' '}
                {task.depends_on.map((dep) => (
                  <Link key={dep} to={taskPath(task.project_id, dep)} className="chip">
                    {dep}
                  </Link>
                ))}
              </p>
            ) : null}
          </section>
        </div>
        <div className="col-side">
          <MessagePanel projectId={task.project_id} taskId={task.task_id} />
        </div>
      </div>
    </>
  );
}

type Action = 'stop' | 'resume' | 'delete';

function TaskActions({ task }: { task: TaskDetail }) {
  const [confirm, setConfirm] = useState<Action | null>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const key = ['task', task.project_id, task.task_id];
  const action = useMutation({
    mutationFn: async (which: Action) => {
      if (which === 'stop') await api.stopTask(task.project_id, task.task_id);
      else if (which === 'resume') await api.resumeTask(task.project_id, task.task_id);
      else await api.deleteTask(task.project_id, task.task_id);
      return which;
    },
    onSuccess: (which) => {
      setConfirm(null);
      if (which === 'delete') {
        treeStore.removeTask(task.project_id, task.task_id);
        void navigate(projectPath(task.project_id));
        return;
      }
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const active = ACTIVE.has(task.status);
  const reasons: Record<Action, string | null> = {
    stop: active ? null : `Task is ${task.status}; nothing to stop`,
    resume: active ? 'Task is still active; stop it first' : null,
    delete: active ? 'Stop the task before deleting it' : null,
  };
  const texts: Record<Action, { title: string; body: string; label: string }> = {
    stop: {
      title: 'Stop this task?',
      body: 'Running agents get SIGTERM and the task is marked done so it does not restart.',
      label: 'Stop task',
    },
    resume: {
      title: 'Resume this task?',
      body: 'Removes DONE / STOP-REQUESTED and starts the restart loop again.',
      label: 'Resume task',
    },
    delete: {
      title: 'Delete this task?',
      body: `Deletes the folder of ${task.task_id} with all ${task.run_count ?? task.runs?.length ?? 0} runs, their output and its message bus. This cannot be undone.`,
      label: 'Delete task',
    },
  };
  return (
    <div className="actions">
      <div className="action-buttons">
        {(['stop', 'resume', 'delete'] as const).map((which) => (
          <button
            key={which}
            type="button"
            className={which === 'resume' ? 'button' : 'button danger'}
            disabled={reasons[which] !== null || action.isPending}
            aria-describedby={reasons[which] ? `reason-${which}` : undefined}
            onClick={() => setConfirm(which)}
          >
            {texts[which].label}
          </button>
        ))}
      </div>
      <ul className="disabled-reasons">
        {(['stop', 'resume', 'delete'] as const).map((which) =>
          reasons[which] ? (
            <li key={which} id={`reason-${which}`} className="disabled-reason">
              {texts[which].label}: {reasons[which]}
            </li>
          ) : null,
        )}
      </ul>
      {action.error ? (
        <p className="inline-error" role="alert">
          {errorMessage(action.error)}
        </p>
      ) : null}
      <ConfirmDialog
        open={confirm !== null}
        title={confirm ? texts[confirm].title : ''}
        message={<p>{confirm ? texts[confirm].body : ''}</p>}
        confirmLabel={confirm ? texts[confirm].label : ''}
        danger={confirm !== 'resume'}
        busy={action.isPending}
        onConfirm={() => confirm && action.mutate(confirm)}
        onCancel={() => setConfirm(null)}
      />
    </div>
  );
}
