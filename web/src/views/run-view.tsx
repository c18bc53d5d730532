// One run: its fields, output.md as Markdown, live stdout/stderr, prompt, stop.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import type { RunDetail, RunFileName } from '@client/api-types';
import { Breadcrumbs } from '../components/breadcrumbs';
import { ConfirmDialog } from '../components/dialog';
import { DownloadButton } from '../components/download-button';
import { LogView } from '../components/log-view';
import { Markdown } from '../components/markdown';
import { QueryState } from '../components/query-state';
import { useTitle } from '../components/use-title';
import { StatusBadge } from '../components/status-badge';
import { Tabs } from '../components/tabs';
import { useNow } from '../components/use-now';
import { runPath } from '../lib/build-tree';
import { formatDuration, formatNumber, formatTime, runDurationMs } from '../lib/format';
import { useRunLogs } from '../lib/use-run-logs';

const LIVE = new Set(['running', 'queued']);
/** Fields shown in the summary grid; everything else goes under "All fields". */
const SUMMARY_KEYS = new Set([
  'run_id',
  'project_id',
  'task_id',
  'agent',
  'status',
  'exit_code',
  'start_time',
  'end_time',
  'duration_ms',
  'parent_run_id',
  'previous_run_id',
  'attempt',
  'error_summary',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'children',
]);

export function RunView() {
  const { projectId = '', taskId = '', runId = '' } = useParams();
  const query = useQuery({ queryKey: ['run', runId], queryFn: () => api.run(runId) });
  useTitle(`Run ${runId}`);
  const run = query.data;
  return (
    <section className="view" aria-labelledby="run-title">
      <Breadcrumbs projectId={projectId} taskId={taskId} runId={runId} />
      {run ? <RunBody run={run} /> : <QueryState error={query.error} what="run" />}
    </section>
  );
}

function RunBody({ run }: { run: RunDetail }) {
  const now = useNow();
  const live = LIVE.has(run.status);
  const [tab, setTab] = useState<string>(live ? 'stdout' : 'output');
  const logs = useRunLogs(run.run_id, live);
  const output = useQuery({
    queryKey: ['file', run.run_id, 'output.md'],
    queryFn: () =>
      api
        .runFile(run.run_id, 'output.md')
        .then((f) => f.text)
        .catch(() => ''),
    refetchInterval: live ? 3000 : false,
  });
  const prompt = useQuery({
    queryKey: ['file', run.run_id, 'prompt'],
    queryFn: () => api.runFile(run.run_id, 'prompt').then((f) => f.text),
    enabled: tab === 'prompt',
  });
  const extra = Object.entries(run).filter(
    ([key, value]) => !SUMMARY_KEYS.has(key) && value !== undefined && value !== '',
  );
  const fileFor: Record<string, RunFileName> = {
    output: 'output.md',
    stdout: 'stdout',
    stderr: 'stderr',
    prompt: 'prompt',
  };
  const stdoutLines = logs.stdout.lines.length;
  const stderrLines = logs.stderr.lines.length;

  return (
    <>
      <header className="view-head">
        <div>
          <h1 id="run-title">
            Run <span className="mono">{run.run_id}</span>
          </h1>
          <p className="subtitle">
            <StatusBadge status={run.status} /> <span className="agent">{run.agent}</span> ·{' '}
            {formatDuration(runDurationMs(run, now))}
            {live ? (
              <span className={`stream-state stream-${logs.state}`}>
                {logs.state === 'live' ? 'streaming' : logs.state}
              </span>
            ) : null}
          </p>
        </div>
        <div className="actions">
          <StopRunButton run={run} />
        </div>
      </header>
      {run.error_summary ? (
        <p className="callout error" role="note">
          {run.error_summary}
        </p>
      ) : null}
      <dl className="fields">
        <Field label="Project">{run.project_id}</Field>
        <Field label="Task">{run.task_id}</Field>
        <Field label="Agent">{run.agent}</Field>
        <Field label="Exit code">
          {live && run.exit_code === -1 ? '–' : (run.exit_code ?? '–')}
        </Field>
        <Field label="Started">{formatTime(run.start_time)}</Field>
        <Field label="Ended">{formatTime(run.end_time)}</Field>
        <Field label="Attempt">{run.attempt ?? '–'}</Field>
        <Field label="Tokens in / out">
          {formatNumber(run.input_tokens)} / {formatNumber(run.output_tokens)}
        </Field>
        {run.cost_usd ? <Field label="Cost">${run.cost_usd.toFixed(4)}</Field> : null}
        {run.parent_run_id ? (
          <Field label="Parent run">
            <RunLink run={run} id={run.parent_run_id} />
          </Field>
        ) : null}
        {run.previous_run_id ? (
          <Field label="Previous attempt">
            <RunLink run={run} id={run.previous_run_id} />
          </Field>
        ) : null}
        {run.children && run.children.length > 0 ? (
          <Field label="Child runs">
            {run.children.map((id) => (
              <RunLink key={id} run={run} id={id} />
            ))}
          </Field>
        ) : null}
      </dl>
      {extra.length > 0 ? (
        <details className="all-fields">
          <summary>All run-info fields ({extra.length})</summary>
          <dl className="fields">
            {extra.map(([key, value]) => (
              <Field key={key} label={key}>
                <span className="mono">
                  {typeof value === 'object' ? JSON.stringify(value) : String(value)}
                </span>
              </Field>
            ))}
          </dl>
        </details>
      ) : null}
      <Tabs
        label="Run files"
        idPrefix="run"
        active={tab}
        onChange={setTab}
        tabs={[
          { id: 'output', label: 'Output' },
          { id: 'stdout', label: `stdout${stdoutLines ? ` (${stdoutLines})` : ''}` },
          { id: 'stderr', label: `stderr${stderrLines ? ` (${stderrLines})` : ''}` },
          { id: 'prompt', label: 'Prompt' },
        ]}
      >
        <div className="tab-tools">
          <DownloadButton runId={run.run_id} name={fileFor[tab] ?? 'output.md'} />
        </div>
        {tab === 'output' ? (
          output.data ? (
            <Markdown text={output.data} />
          ) : (
            <p className="state-line">
              {live
                ? 'output.md appears when the agent finishes; watch stdout meanwhile.'
                : 'No output.md for this run.'}
            </p>
          )
        ) : null}
        {tab === 'stdout' ? <LogView log={logs.stdout} label="stdout" live={live} /> : null}
        {tab === 'stderr' ? <LogView log={logs.stderr} label="stderr" live={live} /> : null}
        {tab === 'prompt' ? (
          prompt.data !== undefined ? (
            <pre className="prompt">{prompt.data}</pre>
          ) : (
            <QueryState error={prompt.error} what="prompt" />
          )
        ) : null}
        {logs.error ? (
          <p className="inline-error" role="alert">
            {logs.error}
          </p>
        ) : null}
      </Tabs>
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field-item">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Link to a related run; the API resolves its task, so link through the same task first. */
function RunLink({ run, id }: { run: RunDetail; id: string }) {
  return (
    <Link className="mono run-link" to={runPath(run.project_id, run.task_id, id)}>
      {id}
    </Link>
  );
}

function StopRunButton({ run }: { run: RunDetail }) {
  const [confirming, setConfirming] = useState(false);
  const queryClient = useQueryClient();
  const stop = useMutation({
    mutationFn: () => api.stopRun(run.run_id),
    onSuccess: () => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: ['run', run.run_id] });
    },
  });
  const live = LIVE.has(run.status);
  return (
    <>
      <button
        type="button"
        className="button danger"
        disabled={!live || stop.isPending}
        title={
          live
            ? 'Send SIGTERM to the agent'
            : `Run is ${run.status}; only running or queued runs can be stopped`
        }
        onClick={() => setConfirming(true)}
      >
        ■ Stop run
      </button>
      {!live ? <span className="disabled-reason">Run already {run.status}</span> : null}
      {stop.isSuccess && live ? <span className="disabled-reason">Stopping…</span> : null}
      {stop.error ? (
        <span className="inline-error" role="alert">
          {errorMessage(stop.error)}
        </span>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title="Stop this run?"
        message={
          <p>
            The agent gets SIGTERM, then SIGKILL after the grace period. The run ends{' '}
            <strong>stopped</strong>.
          </p>
        }
        confirmLabel="Stop run"
        danger
        busy={stop.isPending}
        onConfirm={() => stop.mutate()}
        onCancel={() => setConfirming(false)}
      />
    </>
  );
}
