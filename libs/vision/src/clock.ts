/**
 * Knob positions on a 12-hour clock face, seen from the front: "7:00" is fully
 * counter-clockwise, "12:00" the centre, "5:00" fully clockwise. The sweep is 300° (10 hours,
 * 30° per hour), so travel = minutes past 7:00 / 600.
 */

/** H:MM on the sweep only: 7:00–12:59 and 1:00–4:59, plus exactly 5:00. */
export const KNOB_CLOCK_PATTERN = '^(?:(?:[7-9]|1[0-2]|[1-4]):[0-5][0-9]|5:00)$';

const ANY_CLOCK = /^(1[0-2]|[1-9]):([0-5][0-9])$/;
const SWEEP_START_MIN = 7 * 60;
const SWEEP_MIN = 10 * 60;

/** Minutes clockwise from 7:00, or null when the text is not H:MM. */
function minutesFromStart(clock: string): number | null {
  const m = ANY_CLOCK.exec(clock);
  if (!m) return null;
  const onFace = (Number(m[1]) % 12) * 60 + Number(m[2]);
  return (onFace - SWEEP_START_MIN + 720) % 720;
}

export function isKnobClock(clock: string): boolean {
  const offset = minutesFromStart(clock);
  return offset !== null && offset <= SWEEP_MIN;
}

/** "7:00" → 0, "12:00" → 0.5, "2:00" → 0.7, "5:00" → 1. Throws on text off the sweep. */
export function clockToTravel(clock: string): number {
  const offset = minutesFromStart(clock);
  if (offset === null || offset > SWEEP_MIN) {
    throw new RangeError(`"${clock}" is not a knob position between 7:00 and 5:00 (clockwise through 12:00)`);
  }
  return offset / SWEEP_MIN;
}

/** 0 → "7:00", 0.5 → "12:00", 1 → "5:00"; rounded to the nearest minute. */
export function travelToClock(travel: number): string {
  if (!(travel >= 0 && travel <= 1)) throw new RangeError(`travel must lie in 0..1, got ${travel}`);
  const onFace = (SWEEP_START_MIN + Math.round(travel * SWEEP_MIN)) % 720;
  const hour = Math.floor(onFace / 60) || 12;
  return `${hour}:${String(onFace % 60).padStart(2, '0')}`;
}
