import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageRejectedError, type ImageType, readImageHeader, sniffImageType } from '../src/image';
import { crc32 as ourCrc32 } from '../src/image/crc32';
import { crc32 } from 'node:zlib';
import { panelHeic, withRotation } from './helpers/heif';
import { jpegClaiming, pngClaiming, smallJpeg } from './helpers/hostile';

const base = () => sharp({ create: { width: 123, height: 45, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } });

async function samples(): Promise<Array<[string, Buffer, ImageType]>> {
  return [
    ['jpeg', await base().jpeg().toBuffer(), 'jpeg'],
    ['progressive jpeg', await base().jpeg({ progressive: true }).toBuffer(), 'jpeg'],
    ['png', await base().png().toBuffer(), 'png'],
    ['webp lossy (VP8)', await base().removeAlpha().webp().toBuffer(), 'webp'],
    ['webp lossless (VP8L)', await base().webp({ lossless: true }).toBuffer(), 'webp'],
    ['webp extended (VP8X)', await base().webp().withMetadata({ orientation: 3 }).toBuffer(), 'webp'],
  ];
}

describe('readImageHeader', () => {
  it('reads dimensions of every container without decoding', async () => {
    for (const [label, bytes, type] of await samples()) {
      expect(sniffImageType(bytes), label).toBe(type);
      const header = readImageHeader(bytes, type);
      expect({ label, width: header.width, height: header.height }).toEqual({ label, width: 123, height: 45 });
    }
  });

  it('confirms the webp samples use the layout they are named after', async () => {
    const layouts = (await samples()).filter(([l]) => l.startsWith('webp')).map(([, b]) => b.toString('latin1', 12, 16));
    expect(layouts).toEqual(['VP8 ', 'VP8L', 'VP8X']);
  });

  it('reads the EXIF orientation of a JPEG', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#abc' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(readImageHeader(jpeg, 'jpeg')).toEqual({ width: 40, height: 30, orientation: 6 });
    const plain = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#abc' } }).jpeg().toBuffer();
    expect(readImageHeader(plain, 'jpeg').orientation).toBeUndefined();
  });

  it('reads the stored size of a HEIC, rotated or not', () => {
    expect(readImageHeader(panelHeic(), 'heic')).toEqual({ width: 640, height: 480 });
    // irot does not change ispe; the decoder turns the picture.
    expect(readImageHeader(withRotation(panelHeic(), 1), 'heic')).toEqual({ width: 640, height: 480 });
  });

  it('reads the crafted bomb headers', async () => {
    expect(readImageHeader(pngClaiming(100_000, 100_000), 'png')).toEqual({ width: 100_000, height: 100_000 });
    expect(readImageHeader(jpegClaiming(await smallJpeg(), 60_000, 60_000), 'jpeg')).toMatchObject({
      width: 60_000,
      height: 60_000,
    });
  });

  it('computes the same CRC-32 as zlib', () => {
    for (const text of ['', 'IHDR', 'a longer string with more bytes in it']) {
      expect(ourCrc32(Buffer.from(text))).toBe(crc32(Buffer.from(text)));
    }
  });

  it('throws only ImageRejectedError for every truncation of every format', async () => {
    const all: Array<[string, Buffer, ImageType]> = [...(await samples()), ['heic', panelHeic(), 'heic']];
    for (const [label, bytes, type] of all) {
      // Headers live in the first few hundred bytes; past that every prefix behaves alike.
      const limit = Math.min(bytes.length, 600);
      for (let n = 0; n < limit; n++) {
        const prefix = bytes.subarray(0, n);
        try {
          const header = readImageHeader(prefix, type);
          expect(header.width, `${label} prefix ${n}`).toBeGreaterThan(0);
        } catch (err) {
          expect(err, `${label} prefix ${n}`).toBeInstanceOf(ImageRejectedError);
          expect((err as ImageRejectedError).reasonCode).toBe('corrupt_image');
        }
      }
    }
  });

  it('throws only ImageRejectedError when header bytes are scrambled', async () => {
    const all: Array<[string, Buffer, ImageType]> = [...(await samples()), ['heic', panelHeic(), 'heic']];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const [label, bytes, type] of all) {
      for (let round = 0; round < 300; round++) {
        const copy = Buffer.from(bytes);
        for (let k = 0; k < 4; k++) copy[random(Math.min(copy.length, 400))] = random(256);
        try {
          readImageHeader(copy, type);
        } catch (err) {
          expect(err, `${label} round ${round}`).toBeInstanceOf(ImageRejectedError);
        }
      }
    }
  });
});
