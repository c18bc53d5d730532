/**
 * The seed's "Error Handling" scripts, verbatim (the `...` filled with real flags):
 * a parent checking a background child's exit code, and the retry loop with backoff.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDir, type SeedDir } from './seed-helpers.js';

// best-practices.md, "Task-Level Error Handling".
const PARENT_CHILD = `
# In parent task
run-agent task --task-id child1 --project-id project --agent codex --prompt "$CHILD_PROMPT" &
CHILD_PID=$!

wait $CHILD_PID
EXIT_CODE=$?

if [ $EXIT_CODE -ne 0 ]; then
    echo "Child task failed with exit code $EXIT_CODE"
    cat runs/project/child1/*/agent-stderr.txt
    exit 1
fi
`;

// best-practices.md, "Implement Retries with Backoff".
const RETRY_LOOP = `
MAX_RETRIES=3
RETRY_COUNT=0

while [ $RETRY_COUNT -lt $MAX_RETRIES ]; do
    if run-agent task --project-id project --task-id flaky --agent flaky --prompt "flaky work" --max-retries 0; then
        exit 0
    fi

    RETRY_COUNT=$((RETRY_COUNT + 1))
    SLEEP_TIME=$((2 ** RETRY_COUNT))
    echo "Retry $RETRY_COUNT after \${SLEEP_TIME}s"
    sleep $SLEEP_TIME
done

echo "Failed after $MAX_RETRIES retries"
exit 1
`;

/** An agent that fails (exit 1) on its first FAIL_TIMES runs, then succeeds and writes DONE. */
const FLAKY_CONFIG = `agents:
  flaky:
    type: command
    command:
      - /bin/sh
      - -c
      - |
        n=$(cat "$JRUN_TASK_FOLDER/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$JRUN_TASK_FOLDER/n"
        if [ $n -le \${FAIL_TIMES:-0} ]; then echo "flaky: attempt $n failed" >&2; exit 1; fi
        echo "flaky: attempt $n worked"; : > "$JRUN_TASK_FOLDER/DONE"
`;

let seed: SeedDir;
beforeEach(() => {
  seed = seedDir('seed-errors-');
});
afterEach(() => seed.cleanup());

describe('seed: parent checks a background child', () => {
  it('a failing child: the parent sees its exit code and its stderr', () => {
    const result = seed.run(PARENT_CHILD, { CHILD_PROMPT: 'analyze FAKE_EXIT=2' });
    expect(result.code).toBe(1);
    // run-agent task prints its ids and status too; the script's own lines end the output.
    expect(result.stdout).toMatch(
      /\nChild task failed with exit code 2\nfake codex: exiting with code 2 as asked\n$/,
    );
  });

  it('a succeeding child: the parent carries on with exit 0', () => {
    const result = seed.run(PARENT_CHILD, { CHILD_PROMPT: 'analyze the logs' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('status: done (exit code 0)\n');
    expect(result.stdout).not.toContain('Child task failed');
  });
});

describe('seed: retry loop with backoff', () => {
  it('retries a failed task after 2s and succeeds', () => {
    seed.write('config.yaml', FLAKY_CONFIG);
    const result = seed.run(RETRY_LOOP, { FAIL_TIMES: '1' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Retry 1 after 2s\n');
    expect(result.stdout).not.toContain('Retry 2');
    expect(result.ms).toBeGreaterThanOrEqual(2000);
  });

  it('gives up after 3 attempts with exit 1', () => {
    seed.write('config.yaml', FLAKY_CONFIG);
    const result = seed.run(RETRY_LOOP, { FAIL_TIMES: '99' });
    expect(result.code).toBe(1);
    const scriptLines = result.stdout.split('\n').filter((l) => /^(Retry|Failed)/.test(l));
    expect(scriptLines).toEqual([
      'Retry 1 after 2s',
      'Retry 2 after 4s',
      'Retry 3 after 8s',
      'Failed after 3 retries',
    ]);
    expect(result.stderr).toMatch(/Error: task project\/flaky failed: retries exhausted \(0\)/);
  });
});
