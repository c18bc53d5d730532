import { describe, expect, it } from 'vitest';
import { isConductorError } from './errors.js';
import {
  assertSafeId,
  formatPreciseTimestamp,
  generateMsgId,
  generateRequestId,
  generateRunId,
  generateTaskId,
  MSG_ID_PATTERN,
  preciseNow,
  REFERENCE_TASK_ID,
  RUN_ID_PATTERN,
  safeIdProblem,
  slugify,
} from './ids.js';

function problemOf(value: string): { message: string; exitCode: number } {
  try {
    assertSafeId('task id', value);
  } catch (error) {
    if (isConductorError(error)) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('ids', () => {
  it("accepts the seed's and the reference's ids", () => {
    for (const id of [
      'integration-test',
      'task-1',
      'child1',
      'load-test',
      'a',
      'A_b.c-9',
      'task-20260101-000000-fixture',
    ]) {
      expect(safeIdProblem(id)).toBeUndefined();
    }
  });

  it('rejects anything that could leave the root, with one clear line and exit 2', () => {
    const cases: [string, RegExp][] = [
      ['../x', /must not contain '\/'/],
      ['..', /must not be "\." or "\.\."/],
      ['.hidden', /must not start with '\.'/],
      ['/etc/passwd', /must not contain '\/'/],
      ['a\\b', /must not contain '\/' or '\\'/],
      ['has space', /must not contain spaces/],
      ['nul\0byte', /must not contain NUL/],
      ['bell\u0007', /control characters/],
      ['x'.repeat(200), /at most 128 characters \(got 200\)/],
      ['', /must not be empty/],
      ['semi;colon', /may only contain letters, digits/],
    ];
    for (const [value, expected] of cases) {
      const { message, exitCode } = problemOf(value);
      expect(exitCode).toBe(2);
      expect(message).toMatch(/^invalid task id /);
      expect(message).toMatch(expected);
      expect(message).not.toContain('\n');
    }
  });

  it('generates run ids in the reference format that sort by start time', () => {
    const ids = Array.from({ length: 50 }, () => generateRunId());
    for (const id of ids) expect(id).toMatch(RUN_ID_PATTERN);
    expect(ids[0]).toMatch(new RegExp(`^\\d{8}-\\d{10}-${process.pid}-\\d+$`));
    // The time part (to 1/10000 s) never decreases; the per-process counter keeps ids unique.
    const times = ids.map((id) => id.slice(0, 19));
    expect([...times].sort()).toEqual(times);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('generates message ids exactly as the reference does', () => {
    const id = generateMsgId(
      { date: new Date('2026-02-20T15:30:45.123Z'), nanos: 123_456_789 },
      1234,
    );
    expect(id).toMatch(/^MSG-20260220-153045-123456789-PID01234-\d{4}$/);
    expect(generateMsgId()).toMatch(MSG_ID_PATTERN);
    expect(generateMsgId(undefined, 1_234_567)).toContain('-PID34567-');
  });

  it('generates reference task ids from a hint or at random', () => {
    const date = new Date('2026-01-01T00:00:00Z');
    expect(generateTaskId('Fix the login bug!', date)).toBe(
      'task-20260101-000000-fix-the-login-bug',
    );
    expect(generateTaskId(undefined, date)).toMatch(REFERENCE_TASK_ID);
    expect(generateTaskId('!!', date)).toMatch(/^task-20260101-000000-[a-z0-9]{6}$/);
    expect(slugify('x'.repeat(80))).toHaveLength(50);
  });

  it('timestamps carry nanoseconds and never go backwards within a process', () => {
    const stamps = Array.from({ length: 100 }, () => formatPreciseTimestamp(preciseNow()));
    for (const ts of stamps) expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect([...stamps].sort()).toEqual(stamps);
    expect(generateRequestId()).toMatch(/^req-\d+-[0-9a-f]{12}$/);
  });
});
