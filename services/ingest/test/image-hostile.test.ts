import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_INPUT_PIXELS, ImageRejectedError, processImage } from '../src/image';
import { openUpload, uploadDecodeError } from '../src/image/decode';
import { MASTER_MAX_EDGE, encodeMaster } from '../src/image/renditions';
import { panelHeic } from './helpers/heif';
import { type HostileFile, hostileCorpus, pngClaiming } from './helpers/hostile';

// Count decoder entries, so a test can prove a file was refused before any decoder saw it.
const calls = vi.hoisted(() => ({ sharp: 0, heic: 0 }));

vi.mock('sharp', async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (...args: unknown[]) => unknown }).default;
  const counted = Object.assign((...args: unknown[]) => {
    calls.sharp++;
    return real(...args);
  }, real);
  return { default: counted };
});

vi.mock('heic-decode', async (importOriginal) => {
  type Decode = ((...args: unknown[]) => Promise<unknown>) & { all: (...args: unknown[]) => Promise<unknown> };
  const real = ((await importOriginal()) as { default: Decode }).default;
  const counted = Object.assign(
    (...args: unknown[]) => {
      calls.heic++;
      return real(...args);
    },
    {
      all: (...args: unknown[]) => {
        calls.heic++;
        return real.all(...args);
      },
    },
  );
  return { default: counted };
});

const opts = { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS };

describe('hostile uploads', () => {
  let corpus: HostileFile[];

  beforeAll(async () => {
    corpus = await hostileCorpus();
  });

  beforeEach(() => {
    calls.sharp = 0;
    calls.heic = 0;
  });

  it('covers the whole corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
  });

  it('counts decoder use (so the zero counts below mean something)', async () => {
    await processImage(panelHeic(), opts);
    expect(calls.heic).toBeGreaterThan(0);
    expect(calls.sharp).toBeGreaterThan(0);
  });

  it('rejects every file with a reason code and a readable reason, quickly', async () => {
    for (const file of corpus) {
      calls.sharp = 0;
      calls.heic = 0;
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const err = await processImage(file.bytes, opts).then(
        () => new Error(`${file.name} (${file.fileName}) was accepted`),
        (e: unknown) => e,
      );
      const elapsed = performance.now() - started;

      expect(err, file.name).toBeInstanceOf(ImageRejectedError);
      const rejection = err as ImageRejectedError;
      expect(rejection.reasonCode, file.name).toBe(file.reasonCode);
      expect(rejection.reason, file.name).toMatch(/^[A-Z][^]*\.$/);
      expect(rejection.reason, file.name).not.toMatch(/undefined|NaN|\[object/);
      expect(rejection.retryable).toBe(false);
      // Generous bounds: the point is "did not decode a 10-gigapixel picture", not speed.
      expect(elapsed, file.name).toBeLessThan(5_000);
      expect(process.memoryUsage().rss - rssBefore, file.name).toBeLessThan(256 * 1024 * 1024);
      if (!file.needsDecoder) {
        expect({ file: file.name, sharp: calls.sharp, heic: calls.heic }).toEqual({ file: file.name, sharp: 0, heic: 0 });
      }
    }
  });

  it('names what the file is in the reason', async () => {
    const reasonOf = async (name: string) => {
      const file = corpus.find((f) => f.name === name)!;
      return ((await processImage(file.bytes, opts).catch((e: unknown) => e)) as ImageRejectedError).reason;
    };
    expect(await reasonOf('PDF renamed')).toMatch(/PDF/);
    expect(await reasonOf('GIF')).toMatch(/GIF/);
    expect(await reasonOf('TIFF')).toMatch(/TIFF/);
    expect(await reasonOf('SVG with a script')).toMatch(/SVG/);
    expect(await reasonOf('HTML as .png')).toMatch(/HTML/);
    expect(await reasonOf('text named .jpg')).toMatch(/text/);
    expect(await reasonOf('zero bytes')).toMatch(/empty/);
    expect(await reasonOf('PNG claiming 100,000 × 100,000')).toMatch(/100000 × 100000 pixels \(10000 megapixels\)/);
  });

  it('hands the truncated-but-plausible JPEG to the decoder, which refuses it', async () => {
    const file = corpus.find((f) => f.name === 'JPEG cut off inside the image data')!;
    await expect(processImage(file.bytes, opts)).rejects.toMatchObject({ reasonCode: 'corrupt_image' });
    expect(calls.sharp).toBeGreaterThan(0);
  });

  it('uses the caller\'s pixel cap', async () => {
    const png = pngClaiming(2000, 2000); // 4 MP
    await expect(processImage(png, { maxInputPixels: 1_000_000 })).rejects.toMatchObject({ reasonCode: 'too_many_pixels' });
    expect(calls.sharp).toBe(0);
  });

  it('refuses nonsense pixel caps', async () => {
    await expect(processImage(pngClaiming(10, 10), { maxInputPixels: 0 })).rejects.toThrow(RangeError);
    await expect(processImage(pngClaiming(10, 10), { maxInputPixels: Number.NaN })).rejects.toThrow(RangeError);
  });

  it('has sharp enforce the cap as well, should a header understate the size', async () => {
    const png = pngClaiming(2000, 2000);
    const lyingHeader = { width: 10, height: 10 };
    const pipeline = await openUpload(png, 'png', lyingHeader, 1_000_000, MASTER_MAX_EDGE);
    const err = await encodeMaster(pipeline).catch((e: unknown) => uploadDecodeError(e, 'png', 1_000_000));
    expect(err).toBeInstanceOf(ImageRejectedError);
    expect((err as ImageRejectedError).reasonCode).toBe('too_many_pixels');
    expect(calls.sharp).toBe(1);
  });
});
