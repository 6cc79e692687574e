import { z } from 'zod';
import { Pass1OutputSchema, type Pass1Output } from './schemas/pass1';
import { Pass2OutputSchema, type Pass2Output } from './schemas/pass2';

/** The two vision passes (P3): 1 identifies equipment, 2 records control positions. */
export type VisionPass = 1 | 2;
export type PassOutput<P extends VisionPass> = P extends 1 ? Pass1Output : Pass2Output;

export const TOOL_NAME = { 1: 'equipment_identification', 2: 'control_positions' } as const;
/** Stored with each Analysis row; bump when the output schema changes shape. */
export const SCHEMA_VERSION = { 1: 'equipment_identification.v2', 2: 'control_positions.v1' } as const;
/** Names the prompt file `prompts/<version>.md`; bump by adding a file, never by editing one. */
export const PROMPT_VERSION = { 1: 'pass1.v2', 2: 'pass2.v2' } as const;

/**
 * Every schema version an Analysis row may carry, and the schema that reads it. v2 of pass 1
 * only added optional fields, so its schema reads v1 rows as they are.
 */
export const READABLE_SCHEMA_VERSIONS: Readonly<Record<string, VisionPass>> = {
  'equipment_identification.v1': 1,
  'equipment_identification.v2': 1,
  'control_positions.v1': 2,
};

export const OUTPUT_SCHEMA = { 1: Pass1OutputSchema, 2: Pass2OutputSchema } as const;

export const TOOL_DESCRIPTION = {
  1: 'Record every piece of audio equipment visible in the photos: category, brand, model, printed labels, a legible serial, and where it is in the image.',
  2: 'Record the position of every control (knob, fader, switch, button, selector, meter) on the equipment found in pass 1.',
} as const;

export function passForTool(name: string | undefined): VisionPass | undefined {
  if (name === TOOL_NAME[1]) return 1;
  if (name === TOOL_NAME[2]) return 2;
  return undefined;
}

const jsonSchemaCache = new Map<VisionPass, Record<string, unknown>>();

/**
 * The tool's `inputSchema.json`, generated from the zod schema. Plain JSON (no `$schema` key,
 * which the tool API does not need); objects say `additionalProperties: false` so the model
 * is told not to add fields.
 */
export function toolInputJsonSchema(pass: VisionPass): Record<string, unknown> {
  let schema = jsonSchemaCache.get(pass);
  if (!schema) {
    const generated = z.toJSONSchema(OUTPUT_SCHEMA[pass], { target: 'draft-2020-12', io: 'output' });
    const { $schema: _ignored, ...rest } = JSON.parse(JSON.stringify(generated)) as Record<string, unknown>;
    if (rest.type !== 'object') throw new Error(`pass ${pass} tool schema must be an object schema`);
    schema = rest;
    jsonSchemaCache.set(pass, schema);
  }
  return schema;
}
