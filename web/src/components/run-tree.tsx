// Sidebar tree: projects -> tasks -> runs, virtualized so 10,000 runs stay fast.
// Keyboard: arrows move/expand/collapse, Home/End, Enter opens (WAI-ARIA tree pattern with
// aria-activedescendant, since virtualized rows come and go).
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
} from 'react';
import { useLocation, useNavigate } from 'react-router';
import {
  buildRows,
  groupRuns,
  projectRowId,
  runRowId,
  taskRowId,
  type TreeFilter,
  type TreeRow,
} from '../lib/build-tree';
import { formatDuration, runDurationMs } from '../lib/format';
import { treeStore } from '../lib/tree-store';
import { StatusBadge } from './status-badge';
import { useNow } from './use-now';

const ROW_HEIGHT = 30;

const domId = (rowId: string) => `ti-${rowId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** Which tree rows the current URL points at (to select and reveal them). */
function routeRows(pathname: string): string[] {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'projects' || !parts[1]) return [];
  const ids = [projectRowId(parts[1])];
  if (parts[2] === 'tasks' && parts[3]) ids.push(taskRowId(parts[1], parts[3]));
  if (parts[4] === 'runs' && parts[5]) ids.push(runRowId(parts[5]));
  return ids;
}

export function RunTree({ filter }: { filter: TreeFilter }) {
  const data = useSyncExternalStore(treeStore.subscribe, treeStore.getSnapshot);
  const grouped = useMemo(() => groupRuns(data), [data]);
  const [expanded, setExpanded] = useState<Map<string, boolean>>(() => new Map());
  const location = useLocation();
  const navigate = useNavigate();
  const now = useNow();
  const selected = useMemo(() => routeRows(location.pathname), [location.pathname]);
  const selectedId = selected[selected.length - 1];

  // Reveal the routed project/task (deep links, back/forward).
  useEffect(() => {
    if (selected.length < 2) return;
    setExpanded((prev) => {
      // The routed task opens too, so its runs show.
      const ancestors = selected.filter((id) => !id.startsWith('r:'));
      if (ancestors.every((id) => prev.get(id) === true)) return prev;
      const next = new Map(prev);
      for (const id of ancestors) next.set(id, true);
      return next;
    });
  }, [selected]);

  const rows = useMemo(
    () => buildRows(data, grouped, expanded, filter),
    [data, grouped, expanded, filter],
  );
  const [activeId, setActiveId] = useState<string | undefined>();
  const activeIndex = Math.max(
    0,
    rows.findIndex((row) => row.id === (activeId ?? selectedId)),
  );
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  // Keep the routed row in view when it changes.
  useEffect(() => {
    if (!selectedId) return;
    const index = rows.findIndex((row) => row.id === selectedId);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'auto' });
  }, [selectedId, rows.length > 0]);

  const toggle = (row: TreeRow, open?: boolean) => {
    if (!row.expandable) return;
    setExpanded((prev) => new Map(prev).set(row.id, open ?? !row.expanded));
  };
  const moveTo = (index: number) => {
    const row = rows[Math.min(rows.length - 1, Math.max(0, index))];
    if (!row) return;
    setActiveId(row.id);
    virtualizer.scrollToIndex(rows.indexOf(row), { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const row = rows[activeIndex];
    if (!row) return;
    switch (event.key) {
      case 'ArrowDown':
        moveTo(activeIndex + 1);
        break;
      case 'ArrowUp':
        moveTo(activeIndex - 1);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(rows.length - 1);
        break;
      case 'ArrowRight':
        if (row.expandable && !row.expanded) toggle(row, true);
        else if (row.expandable) moveTo(activeIndex + 1);
        break;
      case 'ArrowLeft':
        if (row.expandable && row.expanded) toggle(row, false);
        else if (row.parentId) moveTo(rows.findIndex((r) => r.id === row.parentId));
        break;
      case 'Enter':
        void navigate(row.path);
        break;
      case ' ':
        toggle(row);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const activeRow = rows[activeIndex];
  return (
    <div className="tree-wrap">
      {data.loadState === 'loading' && data.runs.size === 0 ? (
        <p className="tree-note" role="status">
          Loading runs…
        </p>
      ) : null}
      {data.loadState === 'error' ? (
        <p className="tree-note error" role="alert">
          Could not load runs: {data.error}{' '}
          <button type="button" className="link-button" onClick={() => void treeStore.load()}>
            Retry
          </button>
        </p>
      ) : null}
      {data.loadState === 'ready' && rows.length === 0 ? (
        <p className="tree-note">
          {data.tasks.size === 0
            ? 'No tasks yet. Create one with “New task”.'
            : 'Nothing matches the filter.'}
        </p>
      ) : null}
      <div
        ref={scrollRef}
        className="tree"
        role="tree"
        aria-label="Projects, tasks and runs"
        tabIndex={0}
        aria-activedescendant={activeRow ? domId(activeRow.id) : undefined}
        onKeyDown={onKeyDown}
        data-state={data.loadState}
        data-rows={rows.length}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <TreeItem
                key={row.id}
                row={row}
                top={item.start}
                active={item.index === activeIndex}
                selected={row.id === selectedId}
                now={now}
                onOpen={() => {
                  setActiveId(row.id);
                  void navigate(row.path);
                }}
                onToggle={() => toggle(row)}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function TreeItem(props: {
  row: TreeRow;
  top: number;
  active: boolean;
  selected: boolean;
  now: number;
  onOpen: () => void;
  onToggle: () => void;
}) {
  const { row, top, active, selected, now } = props;
  return (
    <div
      id={domId(row.id)}
      role="treeitem"
      aria-level={row.level}
      aria-expanded={row.expandable ? row.expanded : undefined}
      aria-selected={selected}
      className={`tree-row tree-${row.kind}${active ? ' active' : ''}${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${top}px)`, paddingLeft: `${(row.level - 1) * 14 + 4}px` }}
      onClick={props.onOpen}
      data-path={row.path}
    >
      <span
        className={`twisty${row.expandable ? '' : ' leaf'}`}
        aria-hidden="true"
        onClick={(event) => {
          event.stopPropagation();
          props.onToggle();
        }}
      >
        {row.expandable ? (row.expanded ? '▾' : '▸') : ''}
      </span>
      <RowContent row={row} now={now} />
    </div>
  );
}

function RowContent({ row, now }: { row: TreeRow; now: number }) {
  if (row.kind === 'project') {
    return (
      <>
        <span className="tree-label" title={row.projectId}>
          {row.projectId}
        </span>
        <span className="tree-meta">
          {row.runningCount > 0 ? (
            <span className="count running">{row.runningCount} running</span>
          ) : null}
          <span className="count">{row.taskCount} tasks</span>
        </span>
      </>
    );
  }
  if (row.kind === 'task') {
    return (
      <>
        <span className="tree-label" title={row.task.task_id}>
          {taskLabel(row.task.task_id)}
        </span>
        <span className="tree-meta">
          {row.task.agent ? <span className="agent">{row.task.agent}</span> : null}
          <span className="count" title={`${row.runCount} runs`}>
            {row.runCount}×
          </span>
          {row.latestRun?.status === 'running' ? (
            <span className="duration">{formatDuration(runDurationMs(row.latestRun, now))}</span>
          ) : null}
          <StatusBadge status={row.task.status} compact />
        </span>
      </>
    );
  }
  const run = row.run;
  return (
    <>
      <span className="tree-label mono" title={run.run_id}>
        {row.attempt > 0 ? `#${row.attempt}` : '↳'} {shortRunId(run.run_id)}
      </span>
      <span className="tree-meta">
        {row.showAgent ? <span className="agent">{run.agent}</span> : null}
        <span className="duration">{formatDuration(runDurationMs(run, now))}</span>
        <StatusBadge status={run.status} compact />
      </span>
    </>
  );
}

/** `task-20261126-145706-fix-tests` -> `fix-tests` (the date part is in the tooltip). */
export function taskLabel(taskId: string): string {
  const match = /^task-\d{8}-\d{6}-(.+)$/.exec(taskId);
  return match?.[1] ?? taskId;
}

/** `20261126-1457060000-1789-1` -> `14:57:06` (the rest is in the tooltip). */
export function shortRunId(runId: string): string {
  const match = /^\d{8}-(\d{2})(\d{2})(\d{2})/.exec(runId);
  return match ? `${match[1]}:${match[2]}:${match[3]}` : runId;
}
