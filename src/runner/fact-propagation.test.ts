import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunInfo, writeRunInfo } from '../core/run-info.js';
import { markDone } from '../core/task-files.js';
import { readBusSync } from '../bus/reader.js';
import { appendMessage } from '../bus/writer.js';
import { propagateCompletionFact } from './fact-propagation.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'facts-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('propagateCompletionFact', () => {
  it('posts one project FACT per completion, with parents, links and meta', async () => {
    const task = join(root, 'demo', 't1');
    const runs = ['20260101-0000000000-1-1', '20260101-0000010000-1-2'];
    for (const [i, runId] of runs.entries()) {
      const runDir = join(task, runId);
      mkdirSync(runDir, { recursive: true });
      writeRunInfo(runDir, {
        ...parseRunInfo('', runDir),
        version: 1,
        status: i === 0 ? 'failed' : 'completed',
        exit_code: i === 0 ? 1 : 0,
      });
    }
    const bus = join(task, 'TASK-MESSAGE-BUS.md');
    const fact = await appendMessage(bus, {
      type: 'FACT',
      project_id: 'demo',
      task_id: 't1',
      body: 'the repo uses npm',
    });
    const stop = await appendMessage(bus, {
      type: 'RUN_STOP',
      project_id: 'demo',
      task_id: 't1',
      run_id: runs[1],
      body: 'run stopped with code 0',
    });
    markDone(task);

    const first = await propagateCompletionFact({ root, projectId: 'demo', taskId: 't1' });
    expect(first.propagated).toBe(true);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    const second = await propagateCompletionFact({ root, projectId: 'demo', taskId: 't1' });
    expect(second).toEqual({ ...first, propagated: false });

    const project = readBusSync(join(root, 'demo', 'PROJECT-MESSAGE-BUS.md'));
    expect(project).toHaveLength(1);
    const message = project[0]!;
    expect(message.msg_id).toBe(first.projectMessageId);
    expect(message).toMatchObject({ type: 'FACT', task_id: 't1', run_id: runs[1] });
    expect(message.parents).toEqual([
      { msg_id: stop.msg_id, kind: 'source_run_event' },
      { msg_id: fact.msg_id, kind: 'source_fact' },
    ]);
    expect(message.links?.map((l) => l.kind)).toEqual([
      'task_bus',
      'task_done',
      'run_info',
      'output',
    ]);
    expect(message.meta).toMatchObject({
      kind: 'task_completion_propagation',
      propagation_key: first.key,
      run_count: '2',
      completed_run_count: '1',
      failed_run_count: '1',
      running_run_count: '0',
      source_latest_run_id: runs[1],
      source_latest_status: 'completed',
      source_run_ids: runs.join(','),
      task_fact_count: '1',
      latest_run_event_type: 'RUN_STOP',
    });
    expect(message.body.split('\n')[0]).toBe('task completion propagated to project scope');
    expect(message.body).toContain(`- sample:\n  - [${fact.ts}] ${fact.msg_id} the repo uses npm`);

    const state = readFileSync(join(task, 'TASK-COMPLETE-FACT-PROPAGATION.yaml'), 'utf8');
    expect(state).toMatch(
      new RegExp(
        `^version: 1\nlast_propagation_key: ${first.key}\nlast_project_message_id: ${first.projectMessageId}\nlast_propagated_at: \\d{4}-[^\n]+Z\n$`,
      ),
    );
    expect(readFileSync(join(task, 'TASK-COMPLETE-FACT-PROPAGATION.lock'), 'utf8')).toBe('');

    const notes = readBusSync(bus).slice(-2);
    expect(notes.map((m) => [m.type, m.body])).toEqual([
      [
        'FACT',
        `task completion facts propagated to project bus (msg_id=${first.projectMessageId} key=${first.key})`,
      ],
      [
        'INFO',
        `task completion facts already propagated to project bus (msg_id=${first.projectMessageId} key=${first.key})`,
      ],
    ]);
  });

  it('propagates again when the completion changes (a new DONE after a resume)', async () => {
    const task = join(root, 'demo', 't2');
    mkdirSync(task, { recursive: true });
    markDone(task);
    const first = await propagateCompletionFact({ root, projectId: 'demo', taskId: 't2' });
    const runDir = join(task, '20260101-0000020000-1-3');
    mkdirSync(runDir);
    writeRunInfo(runDir, {
      ...parseRunInfo('', runDir),
      version: 1,
      status: 'completed',
      exit_code: 0,
    });
    const second = await propagateCompletionFact({ root, projectId: 'demo', taskId: 't2' });
    expect(second.propagated).toBe(true);
    expect(second.key).not.toBe(first.key);
    expect(readBusSync(join(root, 'demo', 'PROJECT-MESSAGE-BUS.md'))).toHaveLength(2);
  });
});
