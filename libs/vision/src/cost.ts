import { z } from 'zod';
import type { VisionUsage } from './errors';

/**
 * Model prices in integer micro-USD per million tokens ($3.00/MTok = 3_000_000), so cost stays
 * in integers end to end. The table is configuration, versioned so every model_call row can
 * name the prices it was charged at.
 */
export const ModelPriceSchema = z.strictObject({
  inputPerMTok: z.number().int().min(0),
  outputPerMTok: z.number().int().min(0),
  cacheReadPerMTok: z.number().int().min(0),
  cacheWritePerMTok: z.number().int().min(0),
});
export const PriceTableSchema = z.strictObject({
  version: z.string().min(1),
  /** Keys: a full model id or ARN (exact match), or a base model id prefix. */
  models: z.record(z.string().min(1), ModelPriceSchema),
});

export type ModelPrice = z.output<typeof ModelPriceSchema>;
export type PriceTable = z.output<typeof PriceTableSchema>;

const price = (input: number, output: number, cacheRead: number, cacheWrite: number): ModelPrice => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheReadPerMTok: cacheRead,
  cacheWritePerMTok: cacheWrite,
});

/**
 * Anthropic list prices for on-demand use (cache write = 1.25× input, cache read = 0.1×).
 * A default only: Bedrock regional endpoints and contracts can differ, so load the real table
 * from configuration.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  version: '2025-11-list',
  models: {
    'anthropic.claude-3-haiku': price(250_000, 1_250_000, 30_000, 300_000),
    'anthropic.claude-3-5-haiku': price(800_000, 4_000_000, 80_000, 1_000_000),
    'anthropic.claude-haiku-4-5': price(1_000_000, 5_000_000, 100_000, 1_250_000),
    'anthropic.claude-3-5-sonnet': price(3_000_000, 15_000_000, 300_000, 3_750_000),
    'anthropic.claude-3-7-sonnet': price(3_000_000, 15_000_000, 300_000, 3_750_000),
    'anthropic.claude-sonnet-4': price(3_000_000, 15_000_000, 300_000, 3_750_000),
    'anthropic.claude-opus-4': price(15_000_000, 75_000_000, 1_500_000, 18_750_000),
    'anthropic.claude-opus-4-5': price(5_000_000, 25_000_000, 500_000, 6_250_000),
  },
};

export function parsePriceTable(json: unknown): PriceTable {
  return PriceTableSchema.parse(json);
}

/** Model id without ARN path or cross-region profile prefix: "us.anthropic.x:0" → "anthropic.x:0". */
export function baseModelId(modelId: string): string {
  const last = modelId.slice(modelId.lastIndexOf('/') + 1);
  return last.replace(/^(?:us|eu|apac|jp|au|ca|us-gov|global)\./, '');
}

/** Exact key first, then the longest key the base model id starts with. */
export function findModelPrice(modelId: string, table: PriceTable): ModelPrice | undefined {
  if (table.models[modelId]) return table.models[modelId];
  const base = baseModelId(modelId);
  const key = Object.keys(table.models)
    .filter((k) => base.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return key ? table.models[key] : undefined;
}

/** Integer micro-USD for one call, rounded once (half up) after summing exact products. */
export function costMicroUsd(modelId: string, usage: VisionUsage, table: PriceTable = DEFAULT_PRICE_TABLE): number {
  const p = findModelPrice(modelId, table);
  if (!p) throw new Error(`no price for model "${modelId}" in price table ${table.version}; add it to the configuration`);
  const microUsdTimesMillion =
    usage.inputTokens * p.inputPerMTok +
    usage.outputTokens * p.outputPerMTok +
    usage.cacheReadTokens * p.cacheReadPerMTok +
    usage.cacheWriteTokens * p.cacheWritePerMTok;
  return Math.round(microUsdTimesMillion / 1_000_000);
}

/**
 * VISION_PRICE_TABLE: inline JSON (starting with "{") or the path of a JSON file; unset, the
 * built-in list prices. Throws an Error naming the variable, so a bad table stops start-up.
 */
export function priceTableFromSetting(setting: string | undefined, readFile: (path: string) => string): PriceTable {
  if (!setting) return DEFAULT_PRICE_TABLE;
  const inline = setting.trimStart().startsWith('{');
  let json: unknown;
  try {
    json = JSON.parse(inline ? setting : readFile(setting));
  } catch (err) {
    throw new Error(`VISION_PRICE_TABLE: ${inline ? 'is not valid JSON' : `cannot read ${setting} as JSON`} (${(err as Error).message})`);
  }
  const parsed = PriceTableSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`VISION_PRICE_TABLE: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(table)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
