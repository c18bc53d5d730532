import { describe, expect, it } from 'vitest';
import { MAX_LINES, appendLog, emptyLog, logFromTail } from './log-buffer';

describe('log buffer', () => {
  it('joins chunks into lines and keeps the unfinished one apart', () => {
    let log = appendLog(emptyLog(), 'one\ntw');
    log = appendLog(log, 'o\nthree');
    expect(log.lines).toEqual(['one', 'two']);
    expect(log.partial).toBe('three');
    expect(log.bytes).toBe(13);
  });

  it('drops bytes it already has when a chunk repeats them (resume overlap)', () => {
    let log = appendLog(emptyLog(), 'héllo\n');
    log = appendLog(log, 'héllo\nworld\n', 0);
    expect(log.lines).toEqual(['héllo', 'world']);
    expect(appendLog(log, 'world\n', 7)).toBe(log);
  });

  it('caps the number of lines', () => {
    const log = appendLog(emptyLog(), 'x\n'.repeat(MAX_LINES + 5));
    expect(log.lines.length).toBe(MAX_LINES);
    expect(log.droppedLines).toBe(5);
  });

  it('starts from a file tail, dropping the cut first line', () => {
    const log = logFromTail('ial line\nfull line\n', 1000);
    expect(log.lines).toEqual(['full line']);
    expect(log.bytes).toBe(1000);
    expect(log.droppedLines).toBe(1);
  });
});
