import { describe, expect, it } from 'vitest';
import { fakeJpeg, tinyPng } from '../../testing/src/converse';
import { buildConverseInput, estimateRequest, imageTokensFor, loadPrompt, quotaTokens, readPixelSize } from '../src';

describe('token estimates before a call', () => {
  it('reads image sizes from JPEG and PNG headers without decoding', () => {
    expect(readPixelSize(fakeJpeg(1568, 1176))).toEqual({ width: 1568, height: 1176 });
    expect(readPixelSize(fakeJpeg(640, 480, { exif: true }))).toEqual({ width: 640, height: 480 });
    expect(readPixelSize(tinyPng(7, 3))).toEqual({ width: 7, height: 3 });
    expect(readPixelSize(Buffer.from('not an image'))).toBeNull();
  });

  it('counts images at width × height / 750, text at 4 characters a token, and the answer at maxTokens', () => {
    const input = buildConverseInput({
      pass: 1,
      modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
      images: [
        { bytes: fakeJpeg(1500, 1000), format: 'jpeg', label: 'overview' },
        { bytes: fakeJpeg(750, 100), format: 'jpeg', label: 'crop of device 1' },
      ],
      maxTokens: 4096,
    });
    const estimate = estimateRequest(input);
    expect(estimate.imageTokens).toBe(imageTokensFor({ width: 1500, height: 1000 }) + 100);
    expect(estimate.imageTokens).toBe(2000 + 100);
    expect(estimate.prefixTokens).toBeGreaterThan(loadPrompt(1).text.length / 4);
    expect(estimate.messageTextTokens).toBeGreaterThan(0);
    expect(estimate.maxOutputTokens).toBe(4096);
    expect(quotaTokens(estimate)).toBe(estimate.prefixTokens + estimate.messageTextTokens + 2100 + 4096);
  });
});
