// Shell: header, sidebar tree with filters, routed main view.
import { useQueryClient } from '@tanstack/react-query';
import { Suspense, lazy, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { AuthDialog } from './components/auth-dialog';
import { ConnectionIndicator } from './components/connection-indicator';
import { RunTree } from './components/run-tree';
import { ThemeToggle } from './components/theme-toggle';
import type { TreeFilter } from './lib/build-tree';
import { startLiveEvents } from './lib/live-events';
import { treeStore } from './lib/tree-store';
import { NewTaskView } from './views/new-task-view';
import { NotFoundView } from './views/not-found-view';
import { ProjectView } from './views/project-view';
import { TaskView } from './views/task-view';

// Charts (uPlot) and Markdown rendering load on first use, so the tree paints sooner.
const RunView = lazy(() => import('./views/run-view').then((m) => ({ default: m.RunView })));
const StatsView = lazy(() => import('./views/stats-view').then((m) => ({ default: m.StatsView })));

const STATUSES = [
  'running',
  'queued',
  'blocked',
  'completed',
  'failed',
  'timeout',
  'stopped',
  'crashed',
  'idle',
];

export function App() {
  const queryClient = useQueryClient();
  useEffect(() => {
    void treeStore.load();
    return startLiveEvents(queryClient);
  }, [queryClient]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Conductor Loop dashboard">
          <span className="brand-mark" aria-hidden="true">
            ◎
          </span>
          Conductor Loop
        </NavLink>
        <nav aria-label="Main" className="topnav">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/new" className="button primary small">
            New task
          </NavLink>
        </nav>
        <div className="topbar-right">
          <ConnectionIndicator />
          <ThemeToggle />
        </div>
      </header>
      <div className="layout">
        <Sidebar />
        {/* Focusable: it scrolls on its own, and keyboard users must be able to scroll it. */}
        <main id="main" tabIndex={0} className="main">
          <Suspense
            fallback={
              <p className="state-line view" role="status">
                Loading…
              </p>
            }
          >
            <Routes>
              <Route path="/" element={<StatsView />} />
              <Route path="/stats" element={<StatsView />} />
              <Route path="/new" element={<NewTaskView />} />
              <Route path="/projects/:projectId" element={<ProjectView />} />
              <Route path="/projects/:projectId/tasks/:taskId" element={<TaskView />} />
              <Route path="/projects/:projectId/tasks/:taskId/runs/:runId" element={<RunView />} />
              <Route path="*" element={<NotFoundView />} />
            </Routes>
          </Suspense>
        </main>
      </div>
      <AuthDialog />
    </div>
  );
}

function Sidebar() {
  const [filter, setFilter] = useState<TreeFilter>({ text: '', status: '', agent: '' });
  const data = useSyncExternalStore(treeStore.subscribe, treeStore.getSnapshot);
  const agents = useMemo(() => {
    const names = new Set<string>();
    for (const task of data.tasks.values()) if (task.agent) names.add(task.agent);
    for (const run of data.runs.values()) if (run.agent) names.add(run.agent);
    return [...names].sort();
  }, [data]);
  return (
    <aside className="sidebar" aria-label="Runs">
      <div className="filters" role="search">
        <input
          type="search"
          placeholder="Search projects, tasks, runs…"
          aria-label="Search projects, tasks and runs"
          value={filter.text}
          onChange={(event) => setFilter({ ...filter, text: event.target.value })}
        />
        <div className="filter-row">
          <select
            aria-label="Filter by status"
            value={filter.status}
            onChange={(event) => setFilter({ ...filter, status: event.target.value })}
          >
            <option value="">All statuses</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
          <select
            aria-label="Filter by agent"
            value={filter.agent}
            onChange={(event) => setFilter({ ...filter, agent: event.target.value })}
          >
            <option value="">All agents</option>
            {agents.map((agent) => (
              <option key={agent} value={agent}>
                {agent}
              </option>
            ))}
          </select>
        </div>
        <p className="tree-summary" aria-live="polite">
          {data.projects.size} projects · {data.tasks.size} tasks · {data.runs.size} runs
        </p>
      </div>
      <RunTree filter={filter} />
    </aside>
  );
}
