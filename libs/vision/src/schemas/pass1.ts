import { z } from 'zod';
import { printed, unit } from './common';

/**
 * Pass 1 (equipment_identification): what each piece of gear is. The single source of truth:
 * the tool's JSON Schema is generated from it and the model's answer is parsed with it.
 * Describes equipment only: no field may describe a person (P12).
 */

export const EQUIPMENT_CATEGORIES = [
  'console',
  'channel_strip',
  'compressor',
  'eq',
  'preamp',
  'synth',
  'drum_machine',
  'pedal',
  'amp',
  'interface',
  'other',
] as const;

// Small overshoot allowed: the model rounds coordinates to a few decimals.
const EDGE_TOLERANCE = 0.002;

export const BBoxSchema = z
  .object({
    x: unit().describe('Left edge, as a fraction of the image width'),
    y: unit().describe('Top edge, as a fraction of the image height'),
    w: z.number().gt(0).max(1).describe('Width, as a fraction of the image width'),
    h: z.number().gt(0).max(1).describe('Height, as a fraction of the image height'),
  })
  .refine((b) => b.x + b.w <= 1 + EDGE_TOLERANCE && b.y + b.h <= 1 + EDGE_TOLERANCE, {
    message: 'the box must lie inside the image (x + w ≤ 1 and y + h ≤ 1)',
  })
  .describe('Bounding box normalised to 0..1 on the upright image, origin top-left');

export const SerialSchema = z
  .object({
    raw: printed(80).describe('The serial exactly as printed'),
    normalized: printed(80).describe('The same characters upper-cased, without spaces'),
  })
  .describe('Only when a serial number is legible in the photo; never inferred');

export const ImageQualitySchema = z.object({
  blur: z.boolean(),
  glare: z.boolean(),
  occluded: z.boolean(),
  too_small: z.boolean().describe('The equipment is too small in the frame to read'),
  needs_retake: z.boolean().describe('A new photo is needed to record this equipment reliably'),
});

export const DeviceSchema = z.object({
  category: z.enum(EQUIPMENT_CATEGORIES),
  brand: printed().nullable().describe('Brand as printed or recognised from the equipment; null if unknown'),
  model: printed().nullable().describe('Model name or number; null if unknown'),
  model_confidence: unit().describe('Confidence in brand and model, 0..1'),
  label_text: z.array(printed(200)).max(200).describe('Text printed on the device, verbatim, one entry per label'),
  serial: SerialSchema.nullable(),
  bbox: BBoxSchema,
  confidence: unit().describe('Confidence that this is one piece of audio equipment of this category, 0..1'),
  // Added in equipment_identification.v2; optional, so v1 answers and rows still parse.
  quality: ImageQualitySchema.optional().describe('How well this device in particular can be read in the photo'),
});

export const Pass1OutputSchema = z.object({
  devices: z.array(DeviceSchema).max(100).describe('Every piece of audio equipment visible, largest first'),
  image_quality: ImageQualitySchema,
});

export type EquipmentCategory = (typeof EQUIPMENT_CATEGORIES)[number];
export type Pass1Device = z.output<typeof DeviceSchema>;
export type Pass1Output = z.output<typeof Pass1OutputSchema>;
export type ImageQuality = z.output<typeof ImageQualitySchema>;

/** The stored form of a legible serial: upper-case, no whitespace (what pass 1 is asked to give). */
export function normalizeSerial(raw: string): string {
  return raw.toUpperCase().replace(/\s+/g, '');
}
