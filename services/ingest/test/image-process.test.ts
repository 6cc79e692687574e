import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ANALYSIS_MAX_EDGE,
  ANALYSIS_MAX_PIXELS,
  DEFAULT_MAX_INPUT_PIXELS,
  type ProcessedImage,
  THUMB_MAX_EDGE,
  fitWithin,
  processImage,
} from '../src/image';
import {
  BLUE,
  RED,
  type Rgb,
  SIDEWAYS,
  decodeRaw,
  isNear,
  patternPixels,
  pixelAt,
  sidewaysPhoto,
} from './helpers/images';

const opts = { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS };

/** Every output must be free of metadata. */
async function expectNoMetadata(bytes: Buffer, label: string): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect(meta.exif, `${label} exif`).toBeUndefined();
  expect(meta.xmp, `${label} xmp`).toBeUndefined();
  expect(meta.iptc, `${label} iptc`).toBeUndefined();
  expect(meta.icc, `${label} icc`).toBeUndefined();
  expect(meta.orientation, `${label} orientation`).toBeUndefined();
  expect(meta.comments, `${label} comments`).toBeUndefined();
}

async function expectConsistent(out: ProcessedImage): Promise<void> {
  const master = await sharp(out.master).metadata();
  const analysis = await sharp(out.analysis).metadata();
  const thumb = await sharp(out.thumbnail).metadata();
  expect([master.format, master.width, master.height]).toEqual(['jpeg', out.masterWidth, out.masterHeight]);
  expect([analysis.format, analysis.width, analysis.height]).toEqual(['jpeg', out.analysisWidth, out.analysisHeight]);
  expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', out.thumbWidth, out.thumbHeight]);
  const half = await sharp(out.masterHalf).metadata();
  expect([half.format, half.width, half.height]).toEqual(['jpeg', Math.ceil(out.masterWidth / 2), Math.ceil(out.masterHeight / 2)]);
  expect(Math.max(out.masterWidth, out.masterHeight)).toBeLessThanOrEqual(4096);
  expect(Math.max(out.analysisWidth, out.analysisHeight)).toBeLessThanOrEqual(ANALYSIS_MAX_EDGE);
  expect(out.analysisWidth * out.analysisHeight).toBeLessThanOrEqual(ANALYSIS_MAX_PIXELS);
  expect(Math.max(out.thumbWidth, out.thumbHeight)).toBeLessThanOrEqual(THUMB_MAX_EDGE);
  await expectNoMetadata(out.master, 'master');
  await expectNoMetadata(out.masterHalf, 'master half');
  await expectNoMetadata(out.analysis, 'analysis');
  await expectNoMetadata(out.thumbnail, 'thumbnail');
}

describe('processImage: sideways 12 MP JPEG with GPS, owner, XMP and IPTC', () => {
  let input: Buffer;
  let out: ProcessedImage;

  beforeAll(async () => {
    input = await sidewaysPhoto();
    out = await processImage(input, opts);
  });

  it('starts from a file that really carries all that metadata', async () => {
    const meta = await sharp(input).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([SIDEWAYS.width, SIDEWAYS.height, 6]);
    expect(meta.exif?.toString('latin1')).toContain('Owner Name');
    expect(meta.exif?.length).toBeGreaterThan(200); // includes the GPS IFD
    expect(meta.xmp).toBeDefined();
    expect(meta.iptc).toBeDefined();
    expect(meta.icc).toBeDefined();
  });

  it('writes an upright master: sides swapped, corners where a viewer would show them', async () => {
    expect(out.sourceType).toBe('jpeg');
    expect([out.masterWidth, out.masterHeight]).toEqual([3000, 4000]);
    const master = await decodeRaw(out.master);
    expect(isNear(pixelAt(master, 150, 150), BLUE)).toBe(true); // stored bottom-left
    expect(isNear(pixelAt(master, 3000 - 150, 150), RED)).toBe(true); // stored top-left
    expect(isNear(pixelAt(master, 150, 4000 - 150), RED)).toBe(false);
  });

  it('removes every metadata tag from every output', async () => {
    await expectConsistent(out);
    for (const bytes of [out.master, out.masterHalf, out.analysis, out.thumbnail]) {
      expect(bytes.includes(Buffer.from('Owner Name'))).toBe(false);
      expect(bytes.includes(Buffer.from('Exif\0\0', 'latin1'))).toBe(false);
      expect(bytes.includes(Buffer.from('Photoshop 3.0'))).toBe(false);
      expect(bytes.includes(Buffer.from('xmpmeta'))).toBe(false);
    }
  });

  it('sizes the analysis rendition by the pixel cap when that is the tighter one', () => {
    // 3000×4000 scaled to ≤ 1.15 MP: the 1568 px edge cap alone would allow 1.84 MP.
    expect([out.analysisWidth, out.analysisHeight]).toEqual([928, 1238]);
    expect([out.thumbWidth, out.thumbHeight]).toEqual([240, 320]);
  });

  it('derives the half-size master, analysis rendition and thumbnail from the upright master', async () => {
    for (const bytes of [out.masterHalf, out.analysis, out.thumbnail]) {
      const pic = await decodeRaw(bytes);
      const corner = Math.round(pic.width * 0.04);
      expect(isNear(pixelAt(pic, corner, corner), BLUE)).toBe(true);
      expect(isNear(pixelAt(pic, pic.width - 1 - corner, corner), RED)).toBe(true);
    }
  });
});

describe('processImage: orientation', () => {
  // Where a block stored at the top-left corner must appear, for each EXIF orientation.
  const expected: Record<number, 'tl' | 'tr' | 'bl' | 'br'> = { 1: 'tl', 2: 'tr', 3: 'br', 4: 'bl', 5: 'tl', 6: 'tr', 7: 'br', 8: 'bl' };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('applies EXIF orientation %i', async (orientation) => {
    const width = 90;
    const height = 60;
    const px = patternPixels(width, height, [{ x: 0, y: 0, width: 20, height: 20, colour: RED }]);
    const jpeg = await sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
    const out = await processImage(jpeg, opts);
    const swapped = orientation >= 5;
    expect([out.masterWidth, out.masterHeight]).toEqual(swapped ? [height, width] : [width, height]);
    const master = await decodeRaw(out.master);
    const at = (c: string): Rgb =>
      pixelAt(master, c.endsWith('l') ? 5 : master.width - 6, c.startsWith('t') ? 5 : master.height - 6);
    for (const corner of ['tl', 'tr', 'bl', 'br']) {
      expect(isNear(at(corner), RED), `orientation ${orientation} corner ${corner}`).toBe(corner === expected[orientation]);
    }
    await expectNoMetadata(out.master, 'master');
  await expectNoMetadata(out.masterHalf, 'master half');
  });
});

describe('processImage: formats and sizes', () => {
  it('processes a PNG with transparency onto white', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: { create: { width: 100, height: 100, channels: 4, background: { r: 20, g: 20, b: 230, alpha: 1 } } }, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const out = await processImage(png, opts);
    expect(out.sourceType).toBe('png');
    expect([out.masterWidth, out.masterHeight]).toEqual([300, 200]);
    await expectConsistent(out);
    const master = await decodeRaw(out.master);
    expect(master.channels).toBe(3);
    expect(isNear(pixelAt(master, 50, 50), BLUE)).toBe(true);
    expect(isNear(pixelAt(master, 250, 150), [255, 255, 255], 8)).toBe(true);
  });

  it('processes a 16-bit PNG with text chunks and drops them', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#406080' } })
      .toColourspace('rgb16')
      .png()
      .withMetadata()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const out = await processImage(png, opts);
    await expectConsistent(out);
  });

  it('processes lossy and lossless WebP', async () => {
    for (const lossless of [false, true]) {
      const webp = await sharp(patternPixels(500, 400, [{ x: 0, y: 0, width: 50, height: 50, colour: RED }]), {
        raw: { width: 500, height: 400, channels: 3 },
      })
        .webp({ lossless })
        .withMetadata({ orientation: 8 })
        .toBuffer();
      const out = await processImage(webp, opts);
      expect(out.sourceType).toBe('webp');
      expect([out.masterWidth, out.masterHeight]).toEqual([400, 500]);
      await expectConsistent(out);
      const master = await decodeRaw(out.master);
      expect(isNear(pixelAt(master, 10, 500 - 11), RED)).toBe(true); // orientation 8: top-left → bottom-left
    }
  });

  it('never enlarges a small picture', async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } }).png().toBuffer();
    const out = await processImage(png, opts);
    expect([out.masterWidth, out.masterHeight, out.analysisWidth, out.analysisHeight, out.thumbWidth, out.thumbHeight]).toEqual([
      200, 100, 200, 100, 200, 100,
    ]);
  });

  it('caps the master at 4096 px and the analysis edge at 1568 px for a panorama', async () => {
    const jpeg = await sharp({ create: { width: 6000, height: 1000, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const out = await processImage(jpeg, opts);
    expect([out.masterWidth, out.masterHeight]).toEqual([4096, 683]);
    expect([out.analysisWidth, out.analysisHeight]).toEqual([1568, 261]);
    expect([out.thumbWidth, out.thumbHeight]).toEqual([320, 53]);
    await expectConsistent(out);
  });

  it('converts colour-managed input to sRGB instead of dropping the profile blindly', async () => {
    // Pure sRGB red, stored as Display P3 values with the P3 profile attached.
    const p3 = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } })
      .jpeg({ quality: 100 })
      .withIccProfile('p3')
      .toBuffer();
    const out = await processImage(p3, opts);
    await expectNoMetadata(out.master, 'master');
  await expectNoMetadata(out.masterHalf, 'master half');
    const master = await decodeRaw(out.master);
    expect(isNear(pixelAt(master, 16, 16), [255, 0, 0], 12)).toBe(true);
  });

  it('converts a CMYK JPEG to RGB', async () => {
    const cmyk = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#00a000' } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const out = await processImage(cmyk, opts);
    const master = await decodeRaw(out.master);
    expect(master.channels).toBe(3);
    await expectConsistent(out);
  });
});

describe('fitWithin', () => {
  it('satisfies both the edge and the pixel cap, and never enlarges', () => {
    for (const [w, h] of [[4000, 3000], [3000, 4000], [4096, 4096], [1568, 700], [10, 10], [4096, 1], [1, 4096], [1600, 1600]]) {
      const size = fitWithin({ width: w, height: h }, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
      expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(ANALYSIS_MAX_EDGE);
      expect(size.width * size.height).toBeLessThanOrEqual(ANALYSIS_MAX_PIXELS);
      expect(size.width).toBeLessThanOrEqual(w);
      expect(size.height).toBeLessThanOrEqual(h);
      expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(1);
    }
    expect(fitWithin({ width: 1568, height: 700 }, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS)).toEqual({ width: 1568, height: 700 });
    expect(fitWithin({ width: 4096, height: 4096 }, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS)).toEqual({ width: 1072, height: 1072 });
  });
});
