import { describe, expect, it } from 'vitest';
import { AI_OUTPUT_DISCLAIMER, buildRecallSheet, recallSheetCsv, recallSheetText, type StoredAnalysis } from '../src';
import { PASS1_ANSWER, PASS2_ANSWER } from './fixtures';

const pass1: StoredAnalysis = {
  schemaVersion: 'equipment_identification.v1', // a row written before v2: still readable
  model: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  promptVersion: 'pass1.v1',
  output: PASS1_ANSWER,
  details: { catalog_matches: [{ device_index: 1, catalog_id: 'c1', slug: 'universal-audio-1176ln', brand: 'Universal Audio', model: '1176LN', has_layout: true, layout_approximate: true }] },
};
const pass2: StoredAnalysis = {
  schemaVersion: 'control_positions.v1',
  model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  promptVersion: 'pass2.v2',
  output: PASS2_ANSWER,
  details: { images: [{ image_index: 1, label: 'overview' }, { image_index: 2, label: 'crop of device 2' }] },
};
const ITEM = '01934d5e-0000-7000-8000-000000000001';

describe('the recall sheet', () => {
  const sheet = buildRecallSheet(ITEM, pass1, pass2);

  it('lists each device with its identity and catalog entry, and its controls grouped by section in panel order', () => {
    expect(sheet.devices.map((d) => [d.number, d.brand, d.model, d.catalog?.slug ?? null])).toEqual([
      [1, 'Neve', '8078', null],
      [2, 'Universal Audio', '1176LN', 'universal-audio-1176ln'],
    ]);
    const console = sheet.devices[0]!;
    expect(console.sections.map((s) => [s.name, s.controls.map((c) => c.label)])).toEqual([
      ['CH 1', ['FADER', 'PHASE']],
      ['EQ', ['HF']],
    ]);
    expect(console.sections[0]!.controls[0]).toMatchObject({ type: 'fader', position: '-5 dB', db: -5, image: 'Image 1 (overview)' });
    expect(console.sections[1]!.controls[0]).toMatchObject({ readable: false, position: null, unreadable_reason: 'glare covers the knob' });
    expect(console).toMatchObject({ controls_total: 3, controls_unreadable: 1 });
    const comp = sheet.devices[1]!;
    expect(comp.serial).toEqual({ raw: 'ln 12345', normalized: 'LN12345' });
    expect(comp.sections[0]!.controls[0]).toMatchObject({
      type: 'knob',
      position: '2:00',
      clock: '2:00',
      travel: 0.7,
      image: 'Image 2 (crop of device 2)',
    });
    expect(comp.sections[0]!.controls.map((c) => c.position)).toEqual(['2:00', '4', 'GR', '-3']);
    expect(sheet.sources).toEqual({
      pass1: { model: pass1.model, prompt_version: 'pass1.v1', schema_version: 'equipment_identification.v1' },
      pass2: { model: pass2.model, prompt_version: 'pass2.v2', schema_version: 'control_positions.v1' },
    });
  });

  it('P13: carries the disclaimer in JSON, CSV and text', () => {
    expect(sheet.disclaimer).toBe(AI_OUTPUT_DISCLAIMER);
    expect(recallSheetCsv(sheet).split('\r\n')[0]).toBe(`"Disclaimer: ${AI_OUTPUT_DISCLAIMER}"`);
    expect(recallSheetText(sheet)).toContain(AI_OUTPUT_DISCLAIMER);
  });

  it('writes one CSV row per control, quoting what needs it and defusing cells a spreadsheet would run as formulas', () => {
    const hostile = structuredClone(PASS2_ANSWER);
    hostile.devices[1]!.controls[0]!.label = '=HYPERLINK("http://x","click")';
    hostile.devices[1]!.controls[1] = { ...hostile.devices[1]!.controls[1]!, label: 'PHASE, 180°' } as (typeof hostile.devices)[1]['controls'][1];
    const csv = recallSheetCsv(buildRecallSheet(ITEM, pass1, { ...pass2, output: hostile }));
    const rows = csv.trimEnd().split('\r\n');
    expect(rows).toHaveLength(2 + 7);
    expect(rows[1]).toBe('device,category,brand,model,serial,catalog,section,label,type,position,clock,travel,index_0_10,db,state,readable,confidence,unreadable_reason,image');
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""click"")"`);
    expect(csv).toContain('"PHASE, 180°"');
    // A signed quantity such as "-5 dB" is left as it is.
    expect(recallSheetCsv(sheet).split('\r\n')).toContain('1,console,Neve,8078,,,CH 1,FADER,fader,-5 dB,,,,-5,,true,0.9,,Image 1 (overview)');
  });

  it('prints a text sheet: devices, serial or its absence, sections and unreadable controls with the reason', () => {
    const text = recallSheetText(sheet);
    expect(text).toContain('Device 1: Neve 8078 (console), identification confidence 0.80');
    expect(text).toContain('  Serial: not legible in the photo');
    expect(text).toContain('  Serial: ln 12345');
    expect(text).toContain('  Catalog: universal-audio-1176ln (approximate layout)');
    expect(text).toMatch(/HF\s+UNREADABLE — glare covers the knob/);
  });

  it('refuses stored outputs that do not match their schemas', () => {
    expect(() => buildRecallSheet(ITEM, { ...pass1, output: { devices: 'x' } }, pass2)).toThrow(/do not match their schemas/);
  });
});
