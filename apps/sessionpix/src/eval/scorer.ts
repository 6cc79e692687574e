import { clockToTravel, normalizeName, normalizeSerial, type RecallControl, type RecallDevice, type RecallSheet } from '@sessionpix/vision';
import type { ExpectedControl, ExpectedDevice, PhotoLabel } from './labels';

/**
 * Scores recall sheets against labelled photos: equipment identified (brand and model), serials
 * transcribed exactly (and serials reported where none is legible), and controls read within
 * tolerance — a knob within one clock-hour (0.1 of its travel), a fader within 1 dB, a switch
 * or selector in the same state. An unreadable or missing control counts as not read.
 */

/** One clock-hour of a knob's 10-hour sweep. */
export const KNOB_TOLERANCE_TRAVEL = 0.1;
export const FADER_TOLERANCE_DB = 1;
const EPSILON = 1e-9;

export interface Tally {
  expected: number;
  correct: number;
}

export interface PhotoScore {
  name: string;
  /** The item's final status; anything but analyzed scores nothing. */
  status: string;
  reason: string | null;
  equipment: Tally & { extra: number };
  serials: Tally & { invented: number };
  controls: Tally & { unreadable: number; missing: number };
  /** What went wrong, one line each, for the report. */
  misses: string[];
}

export interface EvalSummary {
  photos: number;
  analyzed: number;
  equipment: Tally & { extra: number; rate: number };
  serials: Tally & { invented: number; rate: number };
  controls: Tally & { unreadable: number; missing: number; rate: number };
}

const same = (a: string | null | undefined, b: string | null | undefined) => Boolean(a && b && normalizeName(a) === normalizeName(b));

/** The expected device this predicted one is: same brand + model, same model with no other brand, or the same catalog entry. */
function isDevice(expected: ExpectedDevice, predicted: RecallDevice): boolean {
  const full = normalizeName(`${expected.brand} ${expected.model}`);
  if (predicted.brand && predicted.model && normalizeName(`${predicted.brand} ${predicted.model}`) === full) return true;
  if (same(predicted.model, expected.model) && (!predicted.brand || same(predicted.brand, expected.brand))) return true;
  return Boolean(predicted.catalog && normalizeName(`${predicted.catalog.brand} ${predicted.catalog.model}`) === full);
}

function withinTolerance(expected: ExpectedControl, predicted: RecallControl): boolean {
  if (!predicted.readable) return false;
  switch (expected.type) {
    case 'knob':
      return predicted.clock !== null && Math.abs(clockToTravel(predicted.clock) - clockToTravel(expected.clock!)) <= KNOB_TOLERANCE_TRAVEL + EPSILON;
    case 'fader':
      return predicted.db !== null && Math.abs(predicted.db - expected.db!) <= FADER_TOLERANCE_DB + EPSILON;
    default:
      return same(predicted.state, expected.state);
  }
}

function describeExpected(c: ExpectedControl): string {
  return c.type === 'knob' ? c.clock! : c.type === 'fader' ? `${c.db} dB` : c.state!;
}

function scoreControls(expected: ExpectedDevice, predicted: RecallDevice, score: PhotoScore): void {
  const pool = predicted.sections.flatMap((s) => s.controls.map((control) => ({ section: s.name, control, used: false })));
  for (const want of expected.controls) {
    score.controls.expected += 1;
    const candidates = pool.filter((p) => !p.used && p.control.type === want.type && same(p.control.label, want.label));
    const found = (want.section ? candidates.find((p) => same(p.section, want.section)) : undefined) ?? candidates[0];
    const where = `${expected.brand} ${expected.model} ${want.section ? `${want.section} ` : ''}${want.label}`;
    if (!found) {
      score.controls.missing += 1;
      score.misses.push(`${where}: not recorded (expected ${describeExpected(want)})`);
      continue;
    }
    found.used = true;
    if (withinTolerance(want, found.control)) score.controls.correct += 1;
    else if (!found.control.readable) {
      score.controls.unreadable += 1;
      score.misses.push(`${where}: unreadable (${found.control.unreadable_reason ?? 'no reason'}), expected ${describeExpected(want)}`);
    } else score.misses.push(`${where}: read ${found.control.position ?? '—'}, expected ${describeExpected(want)}`);
  }
}

export function scorePhoto(name: string, label: PhotoLabel, sheet: RecallSheet | null, status: string, reason: string | null = null): PhotoScore {
  const expectedSerials = label.devices.filter((d) => d.serial !== null).length;
  const score: PhotoScore = {
    name,
    status,
    reason,
    equipment: { expected: label.devices.length, correct: 0, extra: 0 },
    serials: { expected: expectedSerials, correct: 0, invented: 0 },
    controls: { expected: 0, correct: 0, unreadable: 0, missing: 0 },
    misses: [],
  };
  if (!sheet) {
    score.controls.expected = label.devices.reduce((n, d) => n + d.controls.length, 0);
    score.controls.missing = score.controls.expected;
    score.misses.push(`not analysed: ${status}${reason ? ` (${reason})` : ''}`);
    return score;
  }
  const unmatched = [...sheet.devices];
  for (const expected of label.devices) {
    const at = unmatched.findIndex((p) => isDevice(expected, p));
    if (at < 0) {
      score.misses.push(`${expected.brand} ${expected.model}: not identified`);
      score.controls.expected += expected.controls.length;
      score.controls.missing += expected.controls.length;
      continue;
    }
    const [predicted] = unmatched.splice(at, 1);
    score.equipment.correct += 1;
    if (expected.serial !== null) {
      if (predicted!.serial && predicted!.serial.normalized === normalizeSerial(expected.serial)) score.serials.correct += 1;
      else score.misses.push(`${expected.brand} ${expected.model}: serial ${predicted!.serial ? `read ${predicted!.serial.raw}` : 'not read'}, expected ${expected.serial}`);
    } else if (predicted!.serial) {
      score.serials.invented += 1;
      score.misses.push(`${expected.brand} ${expected.model}: reported serial ${predicted!.serial.raw} where none is legible`);
    }
    scoreControls(expected, predicted!, score);
  }
  score.equipment.extra = unmatched.length;
  for (const extra of unmatched) score.misses.push(`reported ${[extra.brand, extra.model].filter(Boolean).join(' ') || 'an unidentified device'} that is not in the photo's label`);
  return score;
}

const rate = (t: Tally) => (t.expected === 0 ? 1 : t.correct / t.expected);

export function summarize(scores: readonly PhotoScore[]): EvalSummary {
  const sum = (pick: (s: PhotoScore) => number) => scores.reduce((n, s) => n + pick(s), 0);
  const equipment = { expected: sum((s) => s.equipment.expected), correct: sum((s) => s.equipment.correct), extra: sum((s) => s.equipment.extra) };
  const serials = { expected: sum((s) => s.serials.expected), correct: sum((s) => s.serials.correct), invented: sum((s) => s.serials.invented) };
  const controls = {
    expected: sum((s) => s.controls.expected),
    correct: sum((s) => s.controls.correct),
    unreadable: sum((s) => s.controls.unreadable),
    missing: sum((s) => s.controls.missing),
  };
  return {
    photos: scores.length,
    analyzed: scores.filter((s) => s.status === 'analyzed').length,
    equipment: { ...equipment, rate: rate(equipment) },
    serials: { ...serials, rate: rate(serials) },
    controls: { ...controls, rate: rate(controls) },
  };
}

const pct = (t: Tally) => `${t.correct}/${t.expected} (${t.expected ? ((100 * t.correct) / t.expected).toFixed(1) : '—'} %)`;

/** The report `npm run eval:vision` prints. */
export function formatReport(scores: readonly PhotoScore[], summary: EvalSummary, header: string[] = []): string {
  const lines = [...header, ''];
  for (const s of scores) {
    lines.push(
      `${s.name}: ${s.status}; equipment ${pct(s.equipment)}, serials ${pct(s.serials)}, controls ${pct(s.controls)}` +
        `${s.serials.invented ? `, ${s.serials.invented} serial(s) reported where none is legible` : ''}${s.equipment.extra ? `, ${s.equipment.extra} extra device(s)` : ''}`,
    );
    for (const miss of s.misses) lines.push(`    - ${miss}`);
  }
  lines.push(
    '',
    `photos analysed:        ${summary.analyzed}/${summary.photos}`,
    `equipment identified:   ${pct(summary.equipment)}${summary.equipment.extra ? `; ${summary.equipment.extra} reported that are not there` : ''}`,
    `serials exact:          ${pct(summary.serials)}; ${summary.serials.invented} reported where none is legible`,
    `controls within 1 clock-hour / 1 dB / same state: ${pct(summary.controls)}; ${summary.controls.unreadable} marked unreadable, ${summary.controls.missing} not recorded`,
    '',
  );
  return lines.join('\n');
}
