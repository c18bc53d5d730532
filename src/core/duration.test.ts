import { describe, expect, it } from 'vitest';
import { durationToMs } from './duration.js';

describe('durationToMs', () => {
  it('reads seconds and Go-style durations', () => {
    expect(durationToMs('300')).toBe(300_000);
    expect(durationToMs(1.5)).toBe(1500);
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('1h30m')).toBe(5_400_000);
    expect(durationToMs('250ms')).toBe(250);
    expect(durationToMs(' 2m ')).toBe(120_000);
    expect(durationToMs('3000µs')).toBe(3);
    expect(durationToMs('2000us')).toBe(2);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'soon', '5 m', '1x', '-3s', 's', '1h30'])
      expect(durationToMs(bad)).toBeUndefined();
  });
});
