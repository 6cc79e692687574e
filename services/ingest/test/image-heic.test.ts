import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INPUT_PIXELS, ImageRejectedError, processImage, readImageHeader, sniffImageType } from '../src/image';
import { decodeHeic } from '../src/image/heic';
import { panelHeic, withRotation } from './helpers/heif';
import { BLUE, RED, decodeRaw, isNear, pixelAt } from './helpers/images';

const opts = { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS };
const PANEL_RED = [230, 30, 30] as const;

describe('HEIC', () => {
  it('is sniffed and its header read without decoding', () => {
    const heic = panelHeic();
    expect(heic.length).toBeLessThan(20_000);
    expect(sniffImageType(heic)).toBe('heic');
    expect(readImageHeader(heic, 'heic')).toEqual({ width: 640, height: 480 });
  });

  it('processes to correctly sized, metadata-free outputs', async () => {
    const out = await processImage(panelHeic(), opts);
    expect(out.sourceType).toBe('heic');
    expect([out.masterWidth, out.masterHeight]).toEqual([640, 480]);
    expect([out.analysisWidth, out.analysisHeight]).toEqual([640, 480]);
    expect([out.thumbWidth, out.thumbHeight]).toEqual([320, 240]);
    const meta = await sharp(out.master).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif, meta.icc]).toEqual(['jpeg', 640, 480, undefined, undefined]);
    expect((await sharp(out.thumbnail).metadata()).format).toBe('webp');

    const master = await decodeRaw(out.master);
    expect(isNear(pixelAt(master, 40, 40), [...PANEL_RED])).toBe(true); // red block top-left
    expect(isNear(pixelAt(master, 600, 440), BLUE)).toBe(true); // blue block bottom-right
  });

  it('honours irot: a portrait HEIC comes out upright', async () => {
    const rotated = withRotation(panelHeic(), 1); // a quarter turn anticlockwise
    const out = await processImage(rotated, opts);
    expect([out.masterWidth, out.masterHeight]).toEqual([480, 640]);
    const master = await decodeRaw(out.master);
    expect(isNear(pixelAt(master, 40, 600), [...PANEL_RED])).toBe(true); // top-left → bottom-left
    expect(isNear(pixelAt(master, 440, 40), BLUE)).toBe(true); // bottom-right → top-right
    expect(isNear(pixelAt(master, 40, 40), RED)).toBe(false);
  });

  it('rejects a HEIC whose coded data is cut off', async () => {
    const heic = panelHeic();
    const err = await processImage(heic.subarray(0, Math.floor(heic.length * 0.7)), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).reasonCode).toBe('corrupt_image');
  });

  it('rejects a HEIC with a damaged box structure', async () => {
    const heic = Buffer.from(panelHeic());
    heic.writeUInt32BE(0xffff, 28); // the meta box now claims to run past the file
    const err = await processImage(heic, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).reasonCode).toBe('corrupt_image');
  });

  it('rejects a HEIC whose decoder configuration is garbage', async () => {
    const heic = Buffer.from(panelHeic());
    const hvcC = heic.indexOf('hvcC', 0, 'latin1');
    heic.fill(0xa5, hvcC + 4, hvcC + 4 + 100); // the structure stays intact, its content does not
    const err = await processImage(heic, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).reasonCode).toBe('corrupt_image');
    expect((err as ImageRejectedError).reason).toMatch(/HEIC photo could not be decoded/);
  });

  it('survives garbage coded data: a picture or a rejection, never a crash', async () => {
    const heic = Buffer.from(panelHeic());
    const mdat = heic.indexOf('mdat', 0, 'latin1');
    for (let i = mdat + 40; i < heic.length; i += 7) heic[i] ^= 0x5a;
    const result = await processImage(heic, opts).then(
      (out) => out.sourceType,
      (e: unknown) => (e instanceof ImageRejectedError ? e.reasonCode : e),
    );
    expect(['heic', 'corrupt_image']).toContain(result);
  });

  it('checks the size libheif reports too, in case the header understated it', async () => {
    const err = await decodeHeic(panelHeic(), 640 * 480, 100_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).reasonCode).toBe('too_many_pixels');
  });
});
