/**
 * The evaluation harness (`npm run eval:vision`) over the shipped synthetic set, against the
 * Converse stand-in: scripted right answers must score 100 %, deliberately wrong ones exactly
 * what they got wrong. Real Bedrock is not reachable here; the harness is the same code.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ConverseStandin, type RecordedCall, startConverseStandin } from '@sessionpix/testing';
import { clockToTravel, type Control, fitWithin, type Pass1Output, type Pass2Output, readPixelSize, travelToClock } from '@sessionpix/vision';
import { type ExpectedControl, loadLabelledPhotos, type PhotoLabel } from '../src/eval/labels';
import { runEvaluation } from '../src/eval/runner';
import { formatReport, scorePhoto } from '../src/eval/scorer';
import { labelOf, SYNTHETIC_SET } from '../src/eval/synthetic';
import { contextJson, PASS1_CONTEXT } from './support/rack';
import { REDIS_URL } from './support/system';

const EVAL_SET = join(__dirname, '..', 'eval-set');
const MAIN_JS = join(__dirname, '..', 'dist', 'eval', 'main.js');
const run = promisify(execFile);

type Mode = 'right' | 'wrong';

/** The label of the photo a call is about, found by the size of its analysis rendition. */
function labelsByRendition(): Map<string, { name: string; label: PhotoLabel }> {
  const out = new Map<string, { name: string; label: PhotoLabel }>();
  for (const photo of loadLabelledPhotos(EVAL_SET)) {
    const size = readPixelSize(readFileSync(photo.photoPath))!;
    const r = fitWithin(size, 1568, 1_150_000);
    out.set(`${r.width}x${r.height}`, { name: photo.name, label: photo.label });
  }
  return out;
}

function pass1(name: string, label: PhotoLabel, mode: Mode): Pass1Output {
  return {
    devices: label.devices.map((d) => {
      let model = d.model;
      let serial = d.serial;
      if (mode === 'wrong' && name === 'pedals-three' && d.model === 'DS-1') model = 'DS-2'; // misidentified
      if (mode === 'wrong' && name === 'compressor-1176') serial = 'UA 11765'; // misread
      if (mode === 'wrong' && name === 'eq-pultec') serial = 'EQ 0001'; // invented: none is legible
      return {
        category: d.category,
        brand: d.brand,
        model,
        model_confidence: 0.9,
        label_text: [d.brand.toUpperCase(), d.model, ...d.controls.map((c) => c.label)],
        serial: serial ? { raw: serial, normalized: serial.toUpperCase().replace(/\s+/g, '') } : null,
        bbox: d.bbox!,
        confidence: 0.95,
      };
    }),
    image_quality: { blur: false, glare: false, occluded: false, too_small: false, needs_retake: false },
  };
}

function control(c: ExpectedControl, mode: Mode, image_index: number, unreadable: boolean): Control {
  const base = { label: c.label, section: c.section ?? null, confidence: 0.9, image_index };
  if (unreadable) return { ...base, type: c.type, position: null, readable: false, unreadable_reason: 'glare covers it' } as Control;
  const ok = { readable: true as const, unreadable_reason: null };
  if (c.type === 'knob') {
    let travel = clockToTravel(c.clock!);
    if (mode === 'wrong') travel = travel + 0.2 <= 1 ? travel + 0.2 : travel - 0.2; // two clock-hours off
    travel = Math.round(travel * 1000) / 1000;
    return { ...base, ...ok, type: 'knob', position: { clock: travelToClock(travel), travel, index_0_10: null } };
  }
  if (c.type === 'fader') return { ...base, ...ok, type: 'fader', position: { db: mode === 'wrong' ? c.db! - 3 : c.db! } };
  return { ...base, ...ok, type: c.type as 'switch', position: { state: c.state! } };
}

function pass2(call: RecordedCall, label: PhotoLabel, mode: Mode): Pass2Output {
  const devices = contextJson<Array<{ device_index: number; model: string; crop_image?: string }>>(call, PASS1_CONTEXT) ?? [];
  return {
    devices: devices.map((d) => {
      const expected = label.devices[d.device_index]!;
      const image = d.crop_image ? Number(d.crop_image.slice('Image '.length)) : 1;
      return {
        device_index: d.device_index,
        controls: expected.controls.map((c) => control(c, mode, image, mode === 'wrong' && c.label === 'PAN')),
      };
    }),
  };
}

describe('the vision evaluation harness', () => {
  let standin: ConverseStandin;
  let mode: Mode = 'right';
  const byRendition = labelsByRendition();
  const env = () => ({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standin.url, AWS_REGION: 'us-east-1', REDIS_URL, LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    standin = await startConverseStandin({
      responder: (call) => {
        const size = call.images[0] ? readPixelSize(call.images[0]) : null;
        const photo = size ? byRendition.get(`${size.width}x${size.height}`) : undefined;
        if (!photo) return undefined;
        return call.toolName === 'equipment_identification' ? pass1(photo.name, photo.label, mode) : pass2(call, photo.label, mode);
      },
    });
  });

  afterAll(async () => {
    await standin?.close();
  });

  it('ships a synthetic set whose labels are what the renderer drew', () => {
    const shipped = loadLabelledPhotos(EVAL_SET);
    expect(shipped.map((p) => p.name)).toEqual(SYNTHETIC_SET.map((p) => p.name).sort());
    for (const photo of SYNTHETIC_SET) {
      expect(shipped.find((p) => p.name === photo.name)!.label, photo.name).toEqual(labelOf(photo));
      const size = readPixelSize(readFileSync(join(EVAL_SET, `${photo.name}.jpg`)));
      expect(size).toEqual({ width: photo.width, height: photo.height });
    }
    expect(byRendition.size).toBe(SYNTHETIC_SET.length); // the stand-in can tell every photo apart
  });

  it('scores scripted right answers at 100 %: every device, serial and control', { timeout: 120_000 }, async () => {
    mode = 'right';
    const report = await runEvaluation({ dir: EVAL_SET, env: env() });
    expect(report.summary).toEqual({
      photos: 5,
      analyzed: 5,
      equipment: { expected: 8, correct: 8, extra: 0, rate: 1 },
      serials: { expected: 3, correct: 3, invented: 0, rate: 1 },
      controls: { expected: 36, correct: 36, unreadable: 0, missing: 0, rate: 1 },
    });
    expect(report.modelCalls).toBe(10);
    expect(report.costMicroUsd).toBeGreaterThan(0);
    expect(report.scores.every((s) => s.misses.length === 0)).toBe(true);
  });

  it('scores deliberately wrong answers by what they got wrong: a misidentified pedal, serials misread or invented, knobs two hours off, a fader 3 dB off, a control unreadable', { timeout: 120_000 }, async () => {
    mode = 'wrong';
    const report = await runEvaluation({ dir: EVAL_SET, env: env() });
    expect(report.summary).toEqual({
      photos: 5,
      analyzed: 5,
      // DS-2 is not the DS-1 in the photo: one miss, and one device that is not there.
      equipment: { expected: 8, correct: 7, extra: 1, rate: 7 / 8 },
      serials: { expected: 3, correct: 2, invented: 1, rate: 2 / 3 },
      // Only the nine switch and selector states are right; the DS-1's three knobs were never recorded.
      controls: { expected: 36, correct: 9, unreadable: 1, missing: 3, rate: 9 / 36 },
    });
    const text = formatReport(report.scores, report.summary);
    expect(text).toContain('Universal Audio 1176LN INPUT: read 4:00, expected 2:00');
    expect(text).toContain('Solid State Logic SL 4000 E channel OUTPUT FADER: read -8 dB, expected -5 dB');
    expect(text).toContain('Pultec EQP-1A: reported serial EQ 0001 where none is legible');
    expect(text).toContain('BOSS DS-1: not identified');
    expect(text).toContain('OUTPUT PAN: unreadable (glare covers it), expected 12:00');
    expect(text).toMatch(/controls within 1 clock-hour \/ 1 dB \/ same state: 9\/36 \(25\.0 %\)/);
  });

  it('counts a knob one clock-hour off as right and a photo that failed as nothing read', () => {
    const label: PhotoLabel = {
      synthetic: true,
      devices: [{ brand: 'Acme', model: 'One', category: 'pedal', serial: null, controls: [{ label: 'GAIN', type: 'knob', clock: '12:00' }] }],
    };
    const sheet = (clock: string) => ({
      item_id: 'x',
      disclaimer: '',
      image_quality: { blur: false, glare: false, occluded: false, too_small: false, needs_retake: false },
      sources: { pass1: { model: '', prompt_version: '', schema_version: '' }, pass2: { model: '', prompt_version: '', schema_version: '' } },
      devices: [
        {
          number: 1,
          category: 'pedal',
          brand: 'ACME',
          model: 'one',
          model_confidence: 0.9,
          serial: null,
          catalog: null,
          quality: null,
          controls_total: 1,
          controls_unreadable: 0,
          sections: [
            {
              name: null,
              controls: [
                { label: 'Gain', type: 'knob' as const, position: clock, clock, travel: clockToTravel(clock), index_0_10: null, db: null, state: null, readable: true, unreadable_reason: null, confidence: 1, image: 'Image 1' },
              ],
            },
          ],
        },
      ],
    });
    expect(scorePhoto('p', label, sheet('1:00'), 'analyzed').controls.correct).toBe(1);
    expect(scorePhoto('p', label, sheet('11:00'), 'analyzed').controls.correct).toBe(1);
    expect(scorePhoto('p', label, sheet('1:30'), 'analyzed').controls.correct).toBe(0);
    const failed = scorePhoto('p', label, null, 'failed', 'The AI service quota … used up.');
    expect(failed).toMatchObject({ equipment: { expected: 1, correct: 0 }, controls: { expected: 1, correct: 0, missing: 1 } });
  });

  it('npm run eval:vision prints the report, and says what it needs when Bedrock is not configured', { timeout: 120_000 }, async () => {
    mode = 'right';
    const { stdout } = await run(process.execPath, [MAIN_JS, '--dir', EVAL_SET], { env: { ...process.env, ...env() } });
    expect(stdout).toContain('sessionpix vision evaluation — 5 photo(s)');
    expect(stdout).toContain('equipment identified:   8/8 (100.0 %)');
    expect(stdout).toContain('serials exact:          3/3 (100.0 %); 0 reported where none is legible');

    const bare = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL };
    const refused = await run(process.execPath, [MAIN_JS, '--dir', EVAL_SET], { env: bare }).catch((err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/eval:vision calls Bedrock: set AWS_REGION, AWS credentials and S3_BUCKET/) });
    const noBucket = await run(process.execPath, [MAIN_JS, '--dir', EVAL_SET], { env: { ...bare, AWS_REGION: 'us-east-1' } }).catch((err: { code: number; stderr: string }) => err);
    expect(noBucket).toMatchObject({ code: 2, stderr: expect.stringMatching(/S3_BUCKET is required against real Bedrock/) });
  });
});
