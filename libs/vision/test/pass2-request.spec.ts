import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeJpeg } from '../../testing/src/converse';
import {
  buildConverseInput,
  costMicroUsd,
  DEFAULT_PRICE_TABLE,
  priceTableFromSetting,
  promptCacheMinTokens,
  supportsPromptCaching,
} from '../src';
import { PASS1_ANSWER } from './fixtures';

const overview = { bytes: fakeJpeg(1238, 928), format: 'jpeg' as const, label: 'overview' };
const crop = { bytes: fakeJpeg(1568, 400), format: 'jpeg' as const, label: 'crop of device 2' };

describe('the pass 2 request', () => {
  const input = buildConverseInput({
    pass: 2,
    modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    images: [overview, crop],
    context: {
      pass1: PASS1_ANSWER,
      crops: [{ device_index: 1, image_index: 2 }],
      layouts: [
        {
          device_index: 1,
          approximate: true,
          controls: [
            { label: 'ATTACK', section: null, type: 'knob', range: '1–7' },
            { label: 'RATIO', section: null, type: 'selector', legend: ['4', '8', '12', '20'] },
          ],
        },
      ],
    },
    maxTokens: 2048,
  });
  const texts = input.messages![0]!.content!.flatMap((b) => (b.text ? [b.text] : []));

  it('labels the overview and each crop, and names each device’s crop in the pass 1 context', () => {
    expect(texts.slice(0, 2)).toEqual(['Image 1 (overview)', 'Image 2 (crop of device 2)']);
    const devices = JSON.parse(texts[2]!.replace('Equipment identified in pass 1 (JSON):\n', '')) as Array<Record<string, unknown>>;
    expect(devices.map((d) => [d.device_index, d.crop_image])).toEqual([
      [0, undefined],
      [1, 'Image 2'],
    ]);
  });

  it('carries the catalog layout with ranges and legends, so the model fills in a known list', () => {
    const layouts = JSON.parse(texts[3]!.replace('Known control layouts (JSON):\n', ''));
    expect(layouts).toEqual([
      {
        device_index: 1,
        approximate: true,
        controls: [
          { label: 'ATTACK', section: null, type: 'knob', range: '1–7' },
          { label: 'RATIO', section: null, type: 'selector', legend: ['4', '8', '12', '20'] },
        ],
      },
    ]);
  });

  it('refuses a crop reference outside the request', () => {
    expect(() =>
      buildConverseInput({ pass: 2, modelId: 'm', images: [overview], context: { pass1: PASS1_ANSWER, crops: [{ device_index: 0, image_index: 21 }] }, maxTokens: 10 }),
    ).toThrow(/image_index/);
  });
});

describe('prompt caching', () => {
  it('marks the static prefix for caching only on models that support it', () => {
    for (const model of ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0']) {
      expect(supportsPromptCaching(model), model).toBe(true);
      expect(JSON.stringify(buildConverseInput({ pass: 1, modelId: model, images: [overview], maxTokens: 100 }))).toContain('cachePoint');
    }
    for (const model of ['anthropic.claude-3-haiku-20240307-v1:0', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/abc']) {
      expect(supportsPromptCaching(model), model).toBe(false);
      expect(JSON.stringify(buildConverseInput({ pass: 1, modelId: model, images: [overview], maxTokens: 100 }))).not.toContain('cachePoint');
    }
    expect(promptCacheMinTokens('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe(4096);
    expect(promptCacheMinTokens('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(1024);
  });
});

describe('VISION_PRICE_TABLE', () => {
  const table = { version: 'contract-2027', models: { 'anthropic.claude-haiku-4-5': { inputPerMTok: 2_000_000, outputPerMTok: 0, cacheReadPerMTok: 0, cacheWritePerMTok: 0 } } };
  const read = (path: string) => readFileSync(path, 'utf8');

  it('is the built-in table when unset, inline JSON, or a JSON file', () => {
    expect(priceTableFromSetting(undefined, read)).toBe(DEFAULT_PRICE_TABLE);
    expect(priceTableFromSetting(JSON.stringify(table), read)).toEqual(table);
    const file = join(mkdtempSync(join(tmpdir(), 'spx-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify(table));
    const loaded = priceTableFromSetting(file, read);
    expect(costMicroUsd('us.anthropic.claude-haiku-4-5-20251001-v1:0', { inputTokens: 1000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, loaded)).toBe(2000);
  });

  it('stops start-up with a message naming the variable when the table is unreadable or malformed', () => {
    expect(() => priceTableFromSetting('{"version": ', read)).toThrow(/^VISION_PRICE_TABLE: is not valid JSON/);
    expect(() => priceTableFromSetting('/nonexistent/prices.json', read)).toThrow(/^VISION_PRICE_TABLE: cannot read \/nonexistent\/prices.json/);
    expect(() => priceTableFromSetting(JSON.stringify({ version: 'x', models: { m: { inputPerMTok: 1.5 } } }), read)).toThrow(/^VISION_PRICE_TABLE: models\.m/);
  });
});
