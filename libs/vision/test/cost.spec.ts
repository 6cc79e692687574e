import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE, baseModelId, costMicroUsd, findModelPrice, parsePriceTable } from '../src';

const usage = { inputTokens: 1_000, outputTokens: 500, cacheReadTokens: 2_000, cacheWriteTokens: 0 };

describe('cost in integer micro-USD', () => {
  it('prices the configured default models, cross-region profiles and ARNs included', () => {
    // Haiku 4.5: 1000×$1 + 500×$5 + 2000×$0.10 per MTok = 1000 + 2500 + 200 micro-USD
    expect(costMicroUsd('us.anthropic.claude-haiku-4-5-20251001-v1:0', usage)).toBe(3_700);
    // Sonnet 4.5: 1000×$3 + 500×$15 + 2000×$0.30 = 3000 + 7500 + 600
    expect(costMicroUsd('us.anthropic.claude-sonnet-4-5-20250929-v1:0', usage)).toBe(11_100);
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    expect(baseModelId(arn)).toBe('anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(costMicroUsd(arn, usage)).toBe(11_100);
  });

  it('picks the longest matching prefix (Opus 4.5 is not priced as Opus 4)', () => {
    expect(findModelPrice('anthropic.claude-opus-4-5-20251101-v1:0', DEFAULT_PRICE_TABLE)!.inputPerMTok).toBe(5_000_000);
    expect(findModelPrice('anthropic.claude-opus-4-1-20250805-v1:0', DEFAULT_PRICE_TABLE)!.inputPerMTok).toBe(15_000_000);
  });

  it('always returns an integer, rounding once after summing', () => {
    const cost = costMicroUsd('anthropic.claude-3-haiku-20240307-v1:0', { inputTokens: 3, outputTokens: 1, cacheReadTokens: 7, cacheWriteTokens: 1 });
    // 3×0.25 + 1×1.25 + 7×0.03 + 1×0.30 = 2.51 micro-USD
    expect(cost).toBe(3);
    expect(Number.isInteger(cost)).toBe(true);
  });

  it('fails clearly for an unpriced model, and accepts a configured table with exact ids', () => {
    expect(() => costMicroUsd('meta.llama3-70b', usage)).toThrow(/no price for model "meta.llama3-70b" in price table/);
    const table = parsePriceTable({
      version: 'contract-2026',
      models: { 'arn:aws:bedrock:us-east-1:1:application-inference-profile/abc': { inputPerMTok: 1_000_000, outputPerMTok: 0, cacheReadPerMTok: 0, cacheWritePerMTok: 0 } },
    });
    expect(costMicroUsd('arn:aws:bedrock:us-east-1:1:application-inference-profile/abc', usage, table)).toBe(1_000);
    expect(() => parsePriceTable({ version: 'x', models: { m: { inputPerMTok: 0.5, outputPerMTok: 0, cacheReadPerMTok: 0, cacheWritePerMTok: 0 } } })).toThrow();
  });
});
