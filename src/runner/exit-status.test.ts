import { describe, expect, it } from 'vitest';
import {
  decideVerdict,
  defaultErrorSummary,
  outcomeOfExitCode,
  signalOfExitCode,
} from './exit-status.js';

describe('exit status mapping', () => {
  it('uses the reference error summaries', () => {
    expect(defaultErrorSummary(1)).toBe('agent reported failure');
    expect(defaultErrorSummary(2)).toBe('agent usage error');
    expect(defaultErrorSummary(137)).toBe('agent killed (OOM or signal)');
    expect(defaultErrorSummary(143)).toBe('agent terminated (SIGTERM)');
    expect(defaultErrorSummary(42)).toBe('agent exited with code 42');
  });

  it('keeps 2 and 3 permanent/config, treats a missing executable as config', () => {
    expect([0, 1, 2, 3, 126, 127, 137].map(outcomeOfExitCode)).toEqual([0, 1, 2, 3, 3, 3, 1]);
  });

  it('names signals from 128+N', () => {
    expect(signalOfExitCode(137)).toBe('SIGKILL');
    expect(signalOfExitCode(143)).toBe('SIGTERM');
    expect(signalOfExitCode(1)).toBeUndefined();
  });

  it('lets a stop or timeout win over the exit code', () => {
    expect(decideVerdict({ exitCode: 143, stopReason: 'timeout' })).toMatchObject({
      status: 'timeout',
      outcome: 1,
      errorSummary: 'timed out',
      exitSignal: 'SIGTERM',
    });
    expect(decideVerdict({ exitCode: undefined, stopReason: 'stop' })).toMatchObject({
      status: 'stopped',
      exitCode: -1,
      outcome: 1,
    });
  });

  it('records a vanished group as crashed and an agent-reported failure as failed', () => {
    expect(decideVerdict({ exitCode: undefined })).toMatchObject({
      status: 'crashed',
      exitCode: -1,
    });
    expect(
      decideVerdict({ exitCode: 0, reportedFailure: true, explained: 'claude: max turns' }),
    ).toMatchObject({
      status: 'failed',
      outcome: 1,
      errorSummary: 'claude: max turns',
    });
    expect(decideVerdict({ exitCode: 0 })).toEqual({
      status: 'completed',
      exitCode: 0,
      outcome: 0,
    });
  });
});
