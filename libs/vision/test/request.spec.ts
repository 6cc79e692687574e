import { describe, expect, it } from 'vitest';
import { fakeJpeg, tinyPng } from '../../testing/src/converse';
import { buildConverseInput, imageProblem, loadPrompt, toolInputJsonSchema, type BuildConverseInputParams } from '../src';
import { PASS1_ANSWER } from './fixtures';

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const overview = { bytes: fakeJpeg(1600, 1200), format: 'jpeg' as const, label: 'overview' };
const detail = { bytes: tinyPng(4, 4), format: 'png' as const, label: 'detail 1' };

function params(extra: Partial<BuildConverseInputParams> = {}): BuildConverseInputParams {
  return { pass: 2, modelId: MODEL, images: [overview, detail], context: { pass1: PASS1_ANSWER }, maxTokens: 8000, ...extra };
}

describe('buildConverseInput', () => {
  it('builds system prompt, alternating labelled images, forced tool and temperature 0', () => {
    const input = buildConverseInput(params());
    expect(input.modelId).toBe(MODEL);
    expect(input.system).toEqual([{ text: loadPrompt(2).text }, { cachePoint: { type: 'default' } }]);
    expect(input.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'control_positions', description: expect.any(String), inputSchema: { json: toolInputJsonSchema(2) } } },
        { cachePoint: { type: 'default' } },
      ],
      toolChoice: { tool: { name: 'control_positions' } },
    });
    expect(input.inferenceConfig).toEqual({ maxTokens: 8000, temperature: 0 });
    const content = input.messages![0]!.content!;
    expect(content[0]).toEqual({ text: 'Image 1 (overview)' });
    expect(content[1]).toEqual({ image: { format: 'jpeg', source: { bytes: overview.bytes } } });
    expect(content[2]).toEqual({ text: 'Image 2 (detail 1)' });
    expect(content[3]!.image!.format).toBe('png');
    expect(content[4]!.text).toMatch(/^Equipment identified in pass 1 \(JSON\):\n\[\{"device_index":0,"category":"console"/);
    expect(content.at(-1)).toEqual({ text: 'Answer with the control_positions tool.' });
  });

  it('leaves out cache points when prompt caching is off', () => {
    const input = buildConverseInput(params({ promptCaching: false }));
    expect(JSON.stringify(input)).not.toContain('cachePoint');
  });

  it('checks limits: 1–20 images, a positive maxTokens', () => {
    expect(() => buildConverseInput(params({ images: [] }))).toThrow(/images/);
    expect(() => buildConverseInput(params({ maxTokens: 0 }))).toThrow(/maxTokens/);
  });

  it('P11: refuses parameters outside the allowed input (no names, e-mails or org data)', () => {
    const withUser = { ...params(), userEmail: 'ada@example.com', orgId: 'org-1' } as BuildConverseInputParams;
    expect(() => buildConverseInput(withUser)).toThrow(/Unrecognized keys/);
    const withOrgContext = params({ context: { pass1: PASS1_ANSWER, orgName: 'Abbey Road' } as never });
    expect(() => buildConverseInput(withOrgContext)).toThrow(/Unrecognized key/);
    expect(() => buildConverseInput(params({ images: [{ ...overview, label: 'from ada@example.com' }] }))).toThrow(/label/);
  });

  it('P11: passes only schema fields of the pass 1 context to the model', () => {
    const pass1 = structuredClone(PASS1_ANSWER);
    Object.assign(pass1.devices[0]!, { uploaded_by: 'Ada Lovelace', org_id: 'org-1' });
    const text = JSON.stringify(buildConverseInput(params({ context: { pass1 } })).messages);
    expect(text).not.toMatch(/Ada|org-1|uploaded_by/);
  });

  it('P11: refuses an image that still carries EXIF metadata, or bytes of another format', () => {
    const exif = { ...overview, bytes: fakeJpeg(100, 100, { exif: true }) };
    expect(() => buildConverseInput(params({ images: [exif] }))).toThrow(/image 1 \(overview\) carries EXIF metadata/);
    expect(() => buildConverseInput(params({ images: [{ ...detail, format: 'jpeg' }] }))).toThrow(/is not a JPEG/);
  });
});

describe('imageProblem', () => {
  it('passes clean images and names the metadata it finds', () => {
    expect(imageProblem(fakeJpeg(10, 10), 'jpeg')).toBeNull();
    expect(imageProblem(tinyPng(2, 2), 'png')).toBeNull();
    const png = tinyPng(2, 2);
    const text = Buffer.from('\0\0\0\x0atEXtComment\0hi____', 'latin1'); // CRC not checked
    const withText = Buffer.concat([png.subarray(0, 33), text, png.subarray(33)]);
    expect(imageProblem(withText, 'png')).toMatch(/tEXt/);
    const webp = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8X', 'latin1'), Buffer.from([10, 0, 0, 0]), Buffer.alloc(10), Buffer.from('EXIF', 'latin1'), Buffer.from([2, 0, 0, 0, 0, 0])]);
    expect(imageProblem(webp, 'webp')).toMatch(/EXIF/);
  });
});
