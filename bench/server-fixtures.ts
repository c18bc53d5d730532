/** Synthetic roots for the server benchmark: many finished runs across projects and tasks. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateRunId, preciseNow } from '../src/core/ids.js';
import { formatRunInfo, type RunInfo } from '../src/core/run-info.js';

/** `total` runs, 100 per task, 2,000 per project, 1 in 7 failed. */
export function makeRuns(root: string, total: number): void {
  const perTask = 100;
  for (let i = 0; i < total; i++) {
    const project = `proj-${Math.floor(i / 2000)}`;
    const task = `task-${Math.floor(i / perTask)}`;
    const runId = generateRunId(preciseNow(), 1000 + (i % 50));
    const dir = join(root, project, task, runId);
    mkdirSync(dir, { recursive: true });
    if (i % perTask === 0) writeFileSync(join(root, project, task, 'TASK.md'), 'bench\n');
    const info: RunInfo = {
      version: 1,
      run_id: runId,
      project_id: project,
      task_id: task,
      agent: i % 3 === 0 ? 'claude' : 'codex',
      pid: 1,
      pgid: 1,
      start_time: '2026-11-26T10:00:00.000000000Z',
      end_time: '2026-11-26T10:00:05.000000000Z',
      exit_code: i % 7 === 0 ? 1 : 0,
      status: i % 7 === 0 ? 'failed' : 'completed',
      cwd: dir,
      prompt_path: join(dir, 'prompt.md'),
      output_path: join(dir, 'output.md'),
      stdout_path: join(dir, 'agent-stdout.txt'),
      stderr_path: join(dir, 'agent-stderr.txt'),
      commandline: 'codex exec --json -',
      agent_version: 'codex-cli 0.99.0',
      input_tokens: 100,
      output_tokens: 50,
    };
    writeFileSync(join(dir, 'run-info.yaml'), formatRunInfo(info));
  }
}
