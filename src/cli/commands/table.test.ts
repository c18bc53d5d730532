import { describe, expect, it } from 'vitest';
import { formatTable, shortDuration, shortTime } from './table.js';

describe('table helpers', () => {
  it('pads every column but the last to its widest cell plus two spaces', () => {
    expect(
      formatTable(
        ['ID', 'STATUS', 'X'],
        [
          ['a-long-id', 'ok', '-'],
          ['b', 'failed', '3'],
        ],
      ),
    ).toBe('ID         STATUS  X\na-long-id  ok      -\nb          failed  3\n');
  });

  it('formats times in UTC and durations like Go, rounded to the second', () => {
    expect(shortTime('2026-11-26T14:57:06.9Z', true)).toBe('2026-11-26 14:57:06');
    expect(shortTime('2026-11-26T14:57:06Z', false)).toBe('2026-11-26 14:57');
    expect(shortTime('0001-01-01T00:00:00Z', true)).toBe('-');
    expect([0, 1499, 1500, 65_000, 7_203_000].map(shortDuration)).toEqual([
      '0s',
      '1s',
      '2s',
      '1m5s',
      '2h0m3s',
    ]);
  });
});
