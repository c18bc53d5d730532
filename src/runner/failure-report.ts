/**
 * The seed's "# Task Failed" output.md ("Capture Comprehensive Error Context"), filled from
 * what the supervisor knows, so a parent agent or a human can act without digging.
 */
import type { RunStatus } from '../core/run-info.js';

export interface FailureFacts {
  status: RunStatus;
  errorSummary: string;
  taskId: string;
  agent: string;
  timestamp: string;
  exitCode: number;
  exitSignal?: string | undefined;
  cwd: string;
  runDir: string;
  /** Readable progress lines of the run (tools used, retries), newest last. */
  progress: string[];
  /** Last lines of agent-stderr.txt. */
  stderrTail: string;
  /** The agent's own error text, when its stream carried one. */
  agentError?: string | undefined;
  timeoutS?: number | undefined;
  relevantFiles: string[];
}

function remediation(facts: FailureFacts): string[] {
  const steps: string[] = [];
  const stderr = facts.stderrTail.toLowerCase();
  if (facts.status === 'timeout') {
    steps.push(
      `The run hit its time limit${facts.timeoutS !== undefined ? ` (${facts.timeoutS} s)` : ''}. Split the task into smaller runs or raise the limit (\`--timeout\`, or \`agents.<name>.timeout\` in config.yaml).`,
    );
  } else if (facts.status === 'stopped') {
    steps.push(
      'The run was stopped on request. Start it again when ready (`run-agent task resume`).',
    );
  } else if (facts.status === 'crashed') {
    steps.push(
      'The agent process group disappeared without an exit status (killed from outside, or the machine ran out of memory). Check `dmesg` and system limits, then retry.',
    );
  } else if (facts.exitCode === 127 || facts.exitCode === 126) {
    steps.push(
      'The agent executable was not found or is not runnable. Install it or fix the agent `command` in config.yaml.',
    );
  } else if (facts.exitCode === 137) {
    steps.push(
      'The agent was killed (SIGKILL, often out of memory). Reduce parallel runs or give the machine more memory, then retry.',
    );
  } else if (facts.exitCode === 2) {
    steps.push(
      'The agent rejected its input (usage error). Fix the prompt or the agent arguments; retrying unchanged will fail again.',
    );
  } else if (facts.exitCode === 3) {
    steps.push('The agent reported a configuration problem. Check its credentials and settings.');
  } else {
    steps.push('The failure may be transient: retry (exit code 1 is retriable).');
  }
  if (/api[_ -]?key|unauthori[sz]ed|authentication|401|403|credential/.test(stderr)) {
    steps.push(
      'stderr mentions credentials: check the API key (`token_file` or the agent key variable).',
    );
  }
  if (/rate.?limit|429|overloaded/.test(stderr)) {
    steps.push('stderr mentions rate limits: wait and retry, or lower the concurrency limit.');
  }
  steps.push(`Read the full logs in ${facts.runDir} (agent-stderr.txt, agent-stdout.txt).`);
  return steps;
}

export function formatFailureReport(facts: FailureFacts): string {
  const attempted =
    facts.progress.length > 0
      ? facts.progress.slice(-20).map((line, i) => `${i + 1}. ${line}`)
      : ['1. Started the agent with the task prompt (no progress was reported).'];
  attempted.push(
    `${attempted.length + 1}. The run ended as \`${facts.status}\`: ${facts.errorSummary}`,
  );
  const lines = [
    '# Task Failed',
    '',
    '## Error',
    facts.agentError && !facts.errorSummary.includes(facts.agentError.trim())
      ? `${facts.errorSummary}\n\n${facts.agentError}`
      : facts.errorSummary,
    '',
    '## Context',
    `- Task: ${facts.taskId}`,
    `- Agent: ${facts.agent}`,
    `- Timestamp: ${facts.timestamp}`,
    `- Exit Code: ${facts.exitCode}${facts.exitSignal ? ` (${facts.exitSignal})` : ''}`,
    '',
    '## Attempted Actions',
    ...attempted,
    '',
    '## Environment',
    `- Working directory: ${facts.cwd}`,
    `- Relevant files: ${facts.relevantFiles.join(', ')}`,
    '',
    '## Suggested Remediation',
    ...remediation(facts).map((step) => `- ${step}`),
  ];
  if (facts.stderrTail.trim() !== '') {
    lines.push('', '## stderr (last lines)', '```', facts.stderrTail.trimEnd(), '```');
  }
  return `${lines.join('\n')}\n`;
}
