import { describe, expect, it } from 'vitest';
import { clockToTravel, isKnobClock, travelToClock } from '../src';

describe('knob clock notation', () => {
  it.each([
    ['7:00', 0],
    ['8:00', 0.1],
    ['10:30', 0.35],
    ['12:00', 0.5],
    ['2:00', 0.7],
    ['5:00', 1],
  ])('clockToTravel(%s) = %d', (clock, travel) => {
    expect(clockToTravel(clock)).toBeCloseTo(travel, 10);
  });

  it.each([
    [0, '7:00'],
    [0.5, '12:00'],
    [0.7, '2:00'],
    [0.35, '10:30'],
    [1, '5:00'],
  ])('travelToClock(%d) = %s', (travel, clock) => {
    expect(travelToClock(travel)).toBe(clock);
  });

  it('round-trips every minute of the sweep', () => {
    for (let minute = 0; minute <= 600; minute++) {
      const clock = travelToClock(minute / 600);
      expect(clockToTravel(clock)).toBeCloseTo(minute / 600, 10);
    }
  });

  it('refuses positions off the 7:00–5:00 sweep and malformed text', () => {
    for (const bad of ['5:01', '6:00', '6:59', '13:00', '0:00', '2:5', '02:00', '2:60', 'two']) {
      expect(isKnobClock(bad), bad).toBe(false);
      expect(() => clockToTravel(bad)).toThrow(RangeError);
    }
    expect(() => travelToClock(1.01)).toThrow(RangeError);
    expect(() => travelToClock(Number.NaN)).toThrow(RangeError);
  });
});
