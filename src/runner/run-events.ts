/**
 * The runner's bus events on the task bus (compat.md §3): RUN_START when the agent starts,
 * RUN_STOP (exit 0) or RUN_CRASH (anything else) when it ends. A bus failure never fails the
 * run: the run's own files are the record, the bus is the notification.
 */
import { join } from 'node:path';
import { FILES } from '../core/layout.js';
import { log } from '../core/log.js';
import { appendMessage, type MessageDraft } from '../bus/writer.js';

export interface RunEventScope {
  taskDir: string;
  projectId: string;
  taskId: string;
  runId: string;
}

export function taskBusPath(taskDir: string): string {
  return join(taskDir, FILES.taskBus);
}

function draft(scope: RunEventScope, type: string, body: string): MessageDraft {
  return {
    type,
    project_id: scope.projectId,
    task_id: scope.taskId,
    run_id: scope.runId,
    body,
  };
}

export async function postRunEvent(
  scope: RunEventScope,
  type: string,
  body: string,
): Promise<void> {
  try {
    await appendMessage(taskBusPath(scope.taskDir), draft(scope, type, body));
  } catch (error) {
    log().warn({ err: error, runId: scope.runId, type }, 'cannot post run event to the task bus');
  }
}

export function runStartBody(runDir: string): string {
  return [
    'run started',
    `run_dir: ${runDir}`,
    `prompt: ${join(runDir, FILES.prompt)}`,
    `stdout: ${join(runDir, FILES.stdout)}`,
    `stderr: ${join(runDir, FILES.stderr)}`,
    `output: ${join(runDir, FILES.output)}`,
  ].join('\n');
}

export function runEndBody(runDir: string, exitCode: number, stderrTail?: string): string {
  const base = `run stopped with code ${exitCode}\nrun_dir: ${runDir}\noutput: ${join(runDir, FILES.output)}`;
  if (exitCode === 0 || stderrTail === undefined) return base;
  return `${base}\n\n## stderr (last 50 lines)\n${stderrTail}`;
}
