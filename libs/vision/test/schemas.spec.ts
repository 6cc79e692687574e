import { describe, expect, it } from 'vitest';
import {
  KNOB_CLOCK_PATTERN,
  Pass1OutputSchema,
  Pass2OutputSchema,
  isKnobClock,
  toolInputJsonSchema,
  type VisionPass,
} from '../src';
import { PASS1_ANSWER, PASS2_ANSWER } from './fixtures';

const clone = <T>(v: T): T => structuredClone(v);

/** Every property name anywhere in a JSON Schema. */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => propertyNames(s, out));
  else if (schema && typeof schema === 'object') {
    const props = (schema as { properties?: Record<string, unknown> }).properties;
    if (props) Object.keys(props).forEach((k) => out.add(k));
    Object.values(schema).forEach((v) => propertyNames(v, out));
  }
  return out;
}

describe('pass 1 schema (equipment_identification)', () => {
  it('accepts a valid answer', () => {
    expect(Pass1OutputSchema.parse(PASS1_ANSWER)).toEqual(PASS1_ANSWER);
  });

  it('rejects an unknown category, a score above 1 and a box outside the image', () => {
    const bad = clone(PASS1_ANSWER) as unknown as { devices: Array<Record<string, unknown>> };
    bad.devices[0]!.category = 'microphone';
    bad.devices[0]!.model_confidence = 1.2;
    bad.devices[1]!.bbox = { x: 0.8, y: 0.2, w: 0.5, h: 0.1 };
    const paths = Pass1OutputSchema.safeParse(bad).error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['devices.0.category', 'devices.0.model_confidence', 'devices.1.bbox']));
  });
});

describe('pass 2 schema (control_positions)', () => {
  it('accepts a valid answer with every control type', () => {
    expect(Pass2OutputSchema.parse(PASS2_ANSWER)).toEqual(PASS2_ANSWER);
  });

  it('checks the position shape against the control type', () => {
    const bad = clone(PASS2_ANSWER);
    (bad.devices[1]!.controls[0] as { position: unknown }).position = { clock: '12:00', travel: 0.5 }; // a fader
    expect(Pass2OutputSchema.safeParse(bad).success).toBe(false);
  });

  it('refuses a knob clock off the sweep, in the zod schema and the generated JSON pattern alike', () => {
    const bad = clone(PASS2_ANSWER);
    (bad.devices[0]!.controls[0]!.position as { clock: string }).clock = '6:00';
    expect(Pass2OutputSchema.safeParse(bad).error!.issues[0]!.path).toEqual(['devices', 0, 'controls', 0, 'position', 'clock']);
    expect(JSON.stringify(toolInputJsonSchema(2))).toContain(JSON.stringify(KNOB_CLOCK_PATTERN));
    expect(isKnobClock('6:00')).toBe(false);
  });

  it('requires unreadable_reason and a null position when readable is false', () => {
    const noReason = clone(PASS2_ANSWER);
    noReason.devices[1]!.controls[2]!.unreadable_reason = null;
    expect(Pass2OutputSchema.safeParse(noReason).error!.issues[0]!.message).toMatch(/required when readable is false/);

    const withPosition = clone(PASS2_ANSWER);
    Object.assign(withPosition.devices[1]!.controls[2]!, { position: { clock: '12:00', travel: 0.5 } });
    expect(Pass2OutputSchema.safeParse(withPosition).error!.issues[0]!.message).toMatch(/must be null/);

    const readableWithout = clone(PASS2_ANSWER);
    Object.assign(readableWithout.devices[0]!.controls[0]!, { position: null });
    expect(Pass2OutputSchema.safeParse(readableWithout).success).toBe(false);
  });
});

describe('tool JSON Schema generated from zod', () => {
  it.each([1, 2] as VisionPass[])('pass %i: a plain object schema without $schema, closed to extra fields', (pass) => {
    const schema = toolInputJsonSchema(pass);
    expect(schema.type).toBe('object');
    expect(schema).not.toHaveProperty('$schema');
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('P12: no output field describes a person', () => {
    const personal = /person|people|face|gender|age$|^age|ethnic|identity|human|owner|operator|engineer|user|email|phone|address|name$/i;
    for (const pass of [1, 2] as VisionPass[]) {
      const names = [...propertyNames(toolInputJsonSchema(pass))];
      expect(names.filter((n) => personal.test(n)), `pass ${pass}`).toEqual([]);
    }
  });

  it('P12: a field the model adds about a person is dropped by validation, never stored', () => {
    const answer = { ...clone(PASS1_ANSWER), people: [{ description: 'engineer at the desk' }] };
    answer.devices[0] = { ...answer.devices[0]!, person_nearby: 'yes' } as (typeof answer.devices)[0];
    const parsed = Pass1OutputSchema.parse(answer);
    expect(JSON.stringify(parsed)).not.toMatch(/people|person|engineer/);
  });
});
