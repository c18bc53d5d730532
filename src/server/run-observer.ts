/**
 * Turns index changes into per-run metrics and log lines: when a run the server saw active
 * reaches a final status, count it (success/error/timeout), observe its duration and
 * tokens, and log task_id/agent/duration_ms/exit_code. Runs already finished when the
 * server started are history, not events, and are not counted.
 */
import { isTerminalStatus, runDurationMs } from '../core/run-info.js';
import type { Logger } from '../core/log.js';
import type { ServerMetrics } from './metrics.js';
import type { RunIndex } from './run-index.js';

function resultOf(status: string): 'success' | 'error' | 'timeout' {
  if (status === 'completed') return 'success';
  return status === 'timeout' ? 'timeout' : 'error';
}

export function observeRuns(index: RunIndex, metrics: ServerMetrics, logger: Logger): () => void {
  const active = new Set<string>();
  return index.onEvent((event) => {
    if (event.kind !== 'run') return;
    const info = event.run.info;
    if (!isTerminalStatus(info.status)) {
      active.add(info.run_id);
      return;
    }
    if (!active.delete(info.run_id)) return;
    const agent = info.agent_name ?? info.agent;
    metrics.agentRuns.inc({ agent, status: resultOf(info.status) });
    const durationMs = runDurationMs(info);
    if (durationMs !== undefined) metrics.agentResponse.observe({ agent }, durationMs / 1000);
    for (const [kind, value] of [
      ['input', info.input_tokens],
      ['output', info.output_tokens],
      ['cached_input', info.cached_input_tokens],
    ] as const) {
      if (value !== undefined && value > 0) metrics.agentTokens.inc({ agent, kind }, value);
    }
    logger.info(
      {
        run_id: info.run_id,
        project_id: info.project_id,
        task_id: info.task_id,
        agent,
        status: info.status,
        exit_code: info.exit_code,
        duration_ms: durationMs,
        ...(info.error_summary ? { error_summary: info.error_summary } : {}),
      },
      'run finished',
    );
  });
}
