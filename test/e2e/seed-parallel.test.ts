/**
 * The seed's "Parallelize Independent Work" (3 tasks with `&` + `wait`) and "Plan Task
 * Hierarchies" (root -> 3 subtasks, subtask 3 depends on 1 and 2) as real scripts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunInfo, type RunInfo } from '../../src/core/run-info.js';
import { listRunDirs } from '../../src/core/store.js';
import { isDone, readLoopState } from '../../src/core/task-files.js';
import { readBusSync } from '../../src/bus/reader.js';
import { seedDir, type SeedDir } from './seed-helpers.js';

// best-practices.md, "Parallel (fast)"; each task's agent works for about two seconds.
const PARALLEL = `
run-agent task --task-id task1 --project-id project --agent codex --prompt "part 1 FAKE_SLOW=2" &
run-agent task --task-id task2 --project-id project --agent codex --prompt "part 2 FAKE_SLOW=2" &
run-agent task --task-id task3 --project-id project --agent codex --prompt "part 3 FAKE_SLOW=2" &
wait
`;

// best-practices.md, "Plan Task Hierarchies": the root task's agent (a shell orchestrator)
// starts the subtasks in parallel; subtask 3 depends on 1 and 2.
const TREE_CONFIG = `agents:
  orchestrator:
    type: command
    command:
      - /bin/sh
      - -c
      - |
        run-agent task --task-id subtask1 --agent codex --prompt "Subtask 1 (independent) FAKE_SLOW=2" &
        run-agent task --task-id subtask2 --agent codex --prompt "Subtask 2 (independent)" &
        run-agent task --task-id subtask3 --agent codex --depends-on subtask1,subtask2 --dependency-poll-interval 0.1 --prompt "Subtask 3 (depends on 1+2)" &
        wait
        : > "$JRUN_TASK_FOLDER/DONE"
`;
const TREE = `
run-agent task --task-id root --project-id project --agent orchestrator --prompt "Root Task (orchestrator)"
`;

let seed: SeedDir;
beforeEach(() => {
  seed = seedDir('seed-parallel-');
});
afterEach(() => seed.cleanup());

const runsOf = (root: string, taskId: string): RunInfo[] =>
  listRunDirs(join(root, 'project', taskId)).map((r) => readRunInfo(r.runDir));

describe('seed: parallel tasks with & and wait', () => {
  it('runs the three tasks at the same time and all finish DONE', () => {
    const result = seed.run(PARALLEL);
    expect(result.code).toBe(0);
    const runs = ['task1', 'task2', 'task3'].map((t) => {
      expect(isDone(join(seed.root, 'project', t))).toBe(true);
      const infos = runsOf(seed.root, t);
      expect(infos).toHaveLength(1);
      expect(infos[0]!.status).toBe('completed');
      return infos[0]!;
    });
    // They overlapped: every run started before any of them ended.
    const latestStart = Math.max(...runs.map((r) => Date.parse(r.start_time)));
    const earliestEnd = Math.min(...runs.map((r) => Date.parse(r.end_time)));
    expect(latestStart).toBeLessThan(earliestEnd);
  });
});

describe('seed: task tree root -> 3 subtasks, 3 depends on 1 and 2', () => {
  it('starts subtask 3 only after 1 and 2 are DONE, and the root waits for all', () => {
    seed.write('config.yaml', TREE_CONFIG);
    const result = seed.run(TREE);
    expect(result.code).toBe(0);
    for (const t of ['root', 'subtask1', 'subtask2', 'subtask3']) {
      expect(readLoopState(join(seed.root, 'project', t))).toMatchObject({
        status: 'done',
        exit_code: 0,
      });
    }
    const [rootRun] = runsOf(seed.root, 'root');
    const [one] = runsOf(seed.root, 'subtask1');
    const [two] = runsOf(seed.root, 'subtask2');
    const [three] = runsOf(seed.root, 'subtask3');
    // Every subtask's run is a child of the root's run.
    for (const child of [one, two, three]) expect(child!.parent_run_id).toBe(rootRun!.run_id);
    const threeStart = Date.parse(three!.start_time);
    expect(threeStart).toBeGreaterThanOrEqual(Date.parse(one!.end_time));
    expect(threeStart).toBeGreaterThanOrEqual(Date.parse(two!.end_time));
    expect(Date.parse(rootRun!.end_time)).toBeGreaterThanOrEqual(Date.parse(three!.end_time));
    const bus3 = readBusSync(join(seed.root, 'project', 'subtask3', 'TASK-MESSAGE-BUS.md'));
    expect(
      bus3.some(
        (m) => m.type === 'PROGRESS' && m.body.startsWith('waiting for dependencies: subtask1'),
      ),
    ).toBe(true);
    expect(
      bus3.some((m) => m.type === 'FACT' && m.body === 'dependencies satisfied; starting task'),
    ).toBe(true);
    // One completion FACT per task on the project bus.
    const project = readBusSync(join(seed.root, 'project', 'PROJECT-MESSAGE-BUS.md'));
    const completions = project
      .filter((m) => m.meta?.kind === 'task_completion_propagation')
      .map((m) => m.task_id)
      .sort();
    expect(completions).toEqual(['root', 'subtask1', 'subtask2', 'subtask3']);
    expect(readFileSync(join(seed.root, 'project', 'root', 'TASK.md'), 'utf8')).toBe(
      'Root Task (orchestrator)\n',
    );
  });
});
