import { effectiveLockDuration, QUEUE_SETTINGS, stalledCheckInterval } from '@sessionpix/queue';
import { testConfig } from '@sessionpix/testing';

describe('vision job locks', () => {
  it('keep the settings table’s 120 s lock and BullMQ’s 30 s stalled check unless QUEUE_LOCK_DURATION_MS is set', () => {
    const config = testConfig({});
    for (const queue of ['vision-pass-1', 'vision-pass-2'] as const) {
      expect(QUEUE_SETTINGS[queue].lockDurationMs).toBe(120_000);
      expect(effectiveLockDuration(queue, config)).toBe(120_000);
      expect(stalledCheckInterval(effectiveLockDuration(queue, config))).toBe(30_000);
    }
  });

  it('follow QUEUE_LOCK_DURATION_MS, checking for stalled jobs every half lock', () => {
    const config = testConfig({ QUEUE_LOCK_DURATION_MS: '3000' });
    expect(effectiveLockDuration('vision-pass-1', config)).toBe(3_000);
    expect(stalledCheckInterval(3_000)).toBe(1_500);
    expect(() => testConfig({ QUEUE_LOCK_DURATION_MS: '10' })).toThrow(/QUEUE_LOCK_DURATION_MS/);
  });
});
