// Dashboard: what is running, how fast work completes, what fails, what it costs.
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type uPlot from 'uplot';
import { api } from '../api/client';
import type { Stats } from '@client/api-types';
import { Chart, type ChartSeries } from '../components/chart';
import { QueryState } from '../components/query-state';
import { RunningNow } from '../components/running-now';
import { useTitle } from '../components/use-title';
import { StatusBadge } from '../components/status-badge';
import { formatDuration, formatNumber } from '../lib/format';

const THROUGHPUT_SERIES: ChartSeries[] = [
  { label: 'completed', colorVar: '--ok' },
  { label: 'failed', colorVar: '--bad' },
];
const HIST_SERIES: ChartSeries[] = [{ label: 'runs', colorVar: '--accent', bars: true }];
const FAIL_SERIES: ChartSeries[] = [{ label: 'failure %', colorVar: '--bad', bars: true }];
const FAILED = ['failed', 'timeout', 'crashed'] as const;

export function StatsView() {
  const query = useQuery({ queryKey: ['stats'], queryFn: api.stats, refetchInterval: 15_000 });
  useTitle('Dashboard');
  return (
    <section className="view" aria-labelledby="stats-title">
      <header className="view-head">
        <div>
          <h1 id="stats-title">Dashboard</h1>
          <p className="subtitle">Live totals across all projects.</p>
        </div>
      </header>
      {query.data ? (
        <StatsBody stats={query.data} />
      ) : (
        <QueryState error={query.error} what="statistics" />
      )}
    </section>
  );
}

function StatsBody({ stats }: { stats: Stats }) {
  const charts = useMemo(() => chartData(stats), [stats]);
  const runs = stats.runs_by_status ?? {};
  const totalRuns = Object.values(runs).reduce((a, b) => a + b, 0);
  const failedRuns = FAILED.reduce((a, s) => a + (runs[s] ?? 0), 0);
  const finished = totalRuns - (runs.running ?? 0) - (runs.queued ?? 0);
  const tokens = stats.tokens ?? { input: 0, output: 0, cost_usd: 0 };
  return (
    <>
      <div className="kpis">
        <Kpi label="Active runs" value={formatNumber(stats.active_runs)} tone="running" />
        <Kpi label="Active tasks" value={formatNumber(stats.tasks_by_status?.running ?? 0)} />
        <Kpi label="Queue depth" value={formatNumber(stats.queue_depth)} />
        <Kpi
          label="Failure rate"
          value={finished > 0 ? `${((failedRuns / finished) * 100).toFixed(1)}%` : '–'}
          tone={failedRuns > 0 ? 'bad' : undefined}
        />
        <Kpi
          label="Tokens in / out"
          value={`${compact(tokens.input)} / ${compact(tokens.output)}`}
        />
        <Kpi label="Cost" value={`$${(tokens.cost_usd ?? 0).toFixed(2)}`} />
      </div>
      <RunningNow />
      <section className="panel" aria-labelledby="by-status">
        <h2 id="by-status">Runs by status</h2>
        <ul className="status-counts">
          {Object.entries(runs).map(([status, count]) => (
            <li key={status}>
              <StatusBadge status={status} /> <strong>{formatNumber(count)}</strong>
            </li>
          ))}
          {totalRuns === 0 ? <li>No runs yet.</li> : null}
        </ul>
      </section>
      <div className="chart-grid">
        <section className="panel">
          <Chart
            title="Task throughput (tasks/min)"
            data={charts.throughput}
            series={THROUGHPUT_SERIES}
            timeX
            yLabel="tasks"
          />
        </section>
        <section className="panel">
          <Chart
            title="Run duration histogram"
            data={charts.histogram}
            series={HIST_SERIES}
            xLabels={charts.histLabels}
            yLabel="runs"
          />
        </section>
        <section className="panel">
          <Chart
            title="Failure rate by agent (%)"
            data={charts.failures}
            series={FAIL_SERIES}
            xLabels={charts.agentNames}
            yLabel="%"
          />
        </section>
        <section className="panel" aria-labelledby="agents-heading">
          <h2 id="agents-heading">Agents</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Completed</th>
                <th scope="col">Failed</th>
                <th scope="col">Timeout</th>
                <th scope="col">Stopped</th>
                <th scope="col">Avg duration</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(stats.agents ?? {}).map(([name, a]) => (
                <tr key={name}>
                  <td>{name}</td>
                  <td>{a.completed ?? 0}</td>
                  <td>{(a.failed ?? 0) + (a.crashed ?? 0)}</td>
                  <td>{a.timeout ?? 0}</td>
                  <td>{a.stopped ?? 0}</td>
                  <td>{formatDuration(a.avg_duration_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}

function Kpi({ label, value, tone }: { label: string; value: string; tone?: string }) {
  return (
    <div className={`kpi${tone ? ` kpi-${tone}` : ''}`}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
    </div>
  );
}

function compact(n: number | undefined): string {
  return Intl.NumberFormat(undefined, { notation: 'compact' }).format(n ?? 0);
}

function compactSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function chartData(stats: Stats) {
  const throughput = [...(stats.throughput ?? [])].sort((a, b) => (a.minute < b.minute ? -1 : 1));
  const times = throughput.map((p) => Date.parse(p.minute) / 1000);
  const hist = stats.duration_histogram ?? [];
  const agents = Object.entries(stats.agents ?? {});
  return {
    throughput: [
      times,
      throughput.map((p) => p.completed),
      throughput.map((p) => p.failed),
    ] as uPlot.AlignedData,
    histogram: [hist.map((_, i) => i), hist.map((b) => b.count)] as uPlot.AlignedData,
    histLabels: hist.map((b, i) => {
      const le = Number(b.le_seconds);
      if (Number.isFinite(le)) return `≤${compactSeconds(le)}`;
      const previous = Number(hist[i - 1]?.le_seconds);
      return Number.isFinite(previous) ? `>${compactSeconds(previous)}` : 'more';
    }),
    agentNames: agents.map(([name]) => name),
    failures: [
      agents.map((_, i) => i),
      agents.map(([, a]) => {
        const bad = (a.failed ?? 0) + (a.timeout ?? 0) + (a.crashed ?? 0);
        const total = bad + (a.completed ?? 0) + (a.stopped ?? 0);
        return total > 0 ? Math.round((bad / total) * 1000) / 10 : 0;
      }),
    ] as uPlot.AlignedData,
  };
}
