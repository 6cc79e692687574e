import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * Test photos. Every generated image has its own pixels (the seed moves the pattern and the
 * colours), so ingest's per-org dedupe never folds two of them into one item.
 */
export async function distinctJpeg(seed: number, width = 640, height = 480): Promise<Buffer> {
  return sharp(patternPixels(seed, width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/**
 * A photo taken with the camera turned 90°: stored landscape with EXIF Orientation 6 (shown
 * portrait), and carrying camera and GPS tags that must never reach the model (P11).
 */
export async function sidewaysJpegWithGps(seed: number, width = 2048, height = 1536): Promise<Buffer> {
  return sharp(patternPixels(seed, width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: 'SpineCam', Model: 'Sideways 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 31/1 4512/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 10/1 5217/100',
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** The HEIC fixture ingest's own tests use (read only). */
export function heicPanel(): Buffer {
  return readFileSync(join(__dirname, '..', '..', '..', '..', 'services', 'ingest', 'test', 'fixtures', 'panel.heic'));
}

/** True when the EXIF block names a GPS IFD (tag 0x8825), in either byte order. */
export function exifHasGps(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}

function patternPixels(seed: number, width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  // Seed-dependent stripes and a bright block whose position moves with the seed.
  const fx = 3 + (seed % 7);
  const fy = 5 + ((seed * 3) % 11);
  const bx = (seed * 97) % Math.max(1, width - 64);
  const by = (seed * 53) % Math.max(1, height - 64);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inBlock = x >= bx && x < bx + 64 && y >= by && y < by + 64;
      pixels[i] = inBlock ? 250 : (x * fx + seed * 29) & 255;
      pixels[i + 1] = inBlock ? 240 : (y * fy + seed * 61) & 255;
      pixels[i + 2] = inBlock ? 20 : ((x + y) * 2 + seed * 17) & 255;
    }
  }
  return pixels;
}
