import { z } from 'zod';
import { KNOB_CLOCK_PATTERN } from '../clock';
import { printed, unit } from './common';

/**
 * Pass 2 (control_positions): where every control sits, per device found in pass 1. One zod
 * schema is the source of the tool's JSON Schema and the validator of the answer.
 */

export const CONTROL_TYPES = ['knob', 'fader', 'switch', 'button', 'selector', 'meter'] as const;

export const KnobPositionSchema = z.object({
  clock: z
    .string()
    .regex(new RegExp(KNOB_CLOCK_PATTERN), 'must be H:MM between 7:00 and 5:00, clockwise through 12:00')
    .describe('Pointer on a clock face: "7:00" fully counter-clockwise, "12:00" centre, "5:00" fully clockwise'),
  travel: unit().describe('Share of the sweep: 0 at 7:00, 0.5 at 12:00, 1 at 5:00'),
  index_0_10: z.number().min(0).max(10).nullable().optional().describe('Reading on a printed 0–10 scale, if any'),
});
const FaderPositionSchema = z.object({ db: z.number().min(-200).max(40).nullable().describe('dB mark, null if unmarked') });
const StatePositionSchema = z.object({ state: printed(60).describe('State as shown, e.g. "IN", "ON", "up", "MIC"') });
const MeterPositionSchema = z.object({ reading: printed(60).nullable() });

const common = {
  label: printed().nullable().describe('Label exactly as printed next to the control; null if none'),
  section: printed().nullable().describe('Printed section or channel the control belongs to, e.g. "EQ", "CH 3"'),
};
const tail = {
  readable: z.boolean(),
  unreadable_reason: printed(300).nullable().describe('Why the position cannot be read; required when readable is false'),
  confidence: unit(),
  image_index: z.number().int().min(1).max(20).describe('N of the "Image N" label of the photo the reading comes from'),
};
const control = <T extends (typeof CONTROL_TYPES)[number], P extends z.ZodType>(type: T, position: P) =>
  z.object({ ...common, type: z.literal(type), position: position.nullable(), ...tail });

export const ControlSchema = z
  .discriminatedUnion('type', [
    control('knob', KnobPositionSchema),
    control('fader', FaderPositionSchema),
    control('switch', StatePositionSchema),
    control('button', StatePositionSchema),
    control('selector', StatePositionSchema),
    control('meter', MeterPositionSchema),
  ])
  .superRefine((c, ctx) => {
    if (c.readable && c.position === null) {
      ctx.addIssue({ code: 'custom', path: ['position'], message: 'a readable control needs a position' });
    }
    if (!c.readable && c.position !== null) {
      ctx.addIssue({ code: 'custom', path: ['position'], message: 'must be null when readable is false' });
    }
    if (!c.readable && c.unreadable_reason === null) {
      ctx.addIssue({ code: 'custom', path: ['unreadable_reason'], message: 'is required when readable is false' });
    }
  });

export const Pass2DeviceSchema = z.object({
  device_index: z.number().int().min(0).max(99).describe('Index of the device in the pass 1 list (0-based)'),
  controls: z.array(ControlSchema).max(600),
});

export const Pass2OutputSchema = z.object({
  devices: z.array(Pass2DeviceSchema).max(100),
});

export type ControlType = (typeof CONTROL_TYPES)[number];
export type Control = z.output<typeof ControlSchema>;
export type Pass2Output = z.output<typeof Pass2OutputSchema>;
