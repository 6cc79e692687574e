import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { CONTROL_TYPES, EQUIPMENT_CATEGORIES, isKnobClock } from '@sessionpix/vision';
import { z } from 'zod';

/**
 * What a labelled photo is known to show: `photo.jpg` beside `photo.json`. Knobs are given on
 * the clock face, faders in dB, switches and selectors by their state; a serial is given only
 * when it is legible in the photo (null: the model must not report one).
 */

const ExpectedControlSchema = z
  .strictObject({
    label: z.string().min(1),
    section: z.string().min(1).nullable().optional(),
    type: z.enum(CONTROL_TYPES),
    clock: z.string().refine(isKnobClock, 'must be a clock position between 7:00 and 5:00').optional(),
    db: z.number().optional(),
    state: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const needs = c.type === 'knob' ? 'clock' : c.type === 'fader' ? 'db' : 'state';
    if (c[needs] === undefined) ctx.addIssue({ code: 'custom', path: [needs], message: `a ${c.type} needs "${needs}"` });
  });

const ExpectedDeviceSchema = z.strictObject({
  brand: z.string().min(1),
  model: z.string().min(1),
  category: z.enum(EQUIPMENT_CATEGORIES),
  serial: z.string().min(1).nullable(),
  /** Where the device is (0..1 on the upright photo); known for synthetic panels, optional otherwise. */
  bbox: z.strictObject({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).optional(),
  controls: z.array(ExpectedControlSchema).default([]),
});

export const PhotoLabelSchema = z.strictObject({
  /** What the photo is, for people reading the report. */
  description: z.string().optional(),
  synthetic: z.boolean().default(false),
  devices: z.array(ExpectedDeviceSchema).min(1),
});

export type ExpectedControl = z.output<typeof ExpectedControlSchema>;
export type ExpectedDevice = z.output<typeof ExpectedDeviceSchema>;
export type PhotoLabel = z.output<typeof PhotoLabelSchema>;

export interface LabelledPhoto {
  name: string;
  photoPath: string;
  labelPath: string;
  label: PhotoLabel;
}

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.heic', '.heif']);

/** Every photo in the folder with a label file beside it; a photo without one is an error, as is a bad label. */
export function loadLabelledPhotos(dir: string): LabelledPhoto[] {
  const photos = readdirSync(dir)
    .filter((f) => PHOTO_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
  if (photos.length === 0) throw new Error(`no photos (.jpg, .png, .webp, .heic) in ${dir}`);
  return photos.map((file) => {
    const name = basename(file, extname(file));
    const labelPath = join(dir, `${name}.json`);
    if (!existsSync(labelPath)) throw new Error(`${file} has no label file ${name}.json beside it`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(labelPath, 'utf8'));
    } catch (err) {
      throw new Error(`${name}.json is not JSON: ${(err as Error).message}`);
    }
    const parsed = PhotoLabelSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`${name}.json: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
    }
    return { name, photoPath: join(dir, file), labelPath, label: parsed.data };
  });
}
