import sharp from 'sharp';

/** Stored size of the generated photos: 12 MP, landscape as stored, shown portrait (EXIF 6). */
export const PHOTO_WIDTH = 4000;
export const PHOTO_HEIGHT = 3000;

export interface PhotoSpec {
  seed: number;
  /** Amplitude of per-pixel grain (0–128): more grain, bigger JPEG. */
  grain: number;
  quality: number;
}

/** A phone-sized photo (~3.5 MB at q92) for the ingest suites. */
export const INGEST_PHOTO: Omit<PhotoSpec, 'seed'> = { grain: 10, quality: 92 };

/** Grainier, higher-quality encodes that land between 8 and 12 MB, for the upload suite. */
export const UPLOAD_BODIES: readonly PhotoSpec[] = [
  { seed: 101, grain: 32, quality: 97 },
  { seed: 202, grain: 48, quality: 98 },
  { seed: 303, grain: 56, quality: 99 },
];

/**
 * Raw RGB with what a photo of a rack has and a synthetic test card lacks: smooth lighting
 * gradients, a repeating panel structure with hard dark edges, mid-frequency texture, and
 * sensor-like grain (so JPEG sizes and decode costs are realistic).
 */
function photoPixels(width: number, height: number, spec: PhotoSpec): Buffer {
  const px = Buffer.allocUnsafe(width * height * 3);
  let state = (spec.seed * 2654435761) >>> 0 || 1;
  const rowHeight = Math.floor(height / 5);
  const phase = spec.seed % 7;
  for (let y = 0; y < height; y++) {
    const fy = y / height;
    const band = Math.floor(y / rowHeight) % 2;
    const onRail = y % rowHeight < 6;
    for (let x = 0; x < width; x++) {
      const fx = x / width;
      let r = 90 + 60 * Math.sin(fx * 6.1 + fy * 2.3 + phase) + 20 * Math.sin(fx * 37 + fy * 11);
      let g = 80 + 50 * Math.sin(fx * 3.7 - fy * 4.9 + phase * 0.5) + 20 * Math.cos(fy * 29 - fx * 7);
      let b = 70 + 45 * Math.cos(fx * 5.3 + fy * 1.9) + band * 35;
      if (onRail || x % 300 < 6) {
        r *= 0.3;
        g *= 0.3;
        b *= 0.3;
      }
      // xorshift32 grain
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const n = (((state >>> 0) & 255) - 128) * (spec.grain / 128);
      const i = (y * width + x) * 3;
      px[i] = r + n < 0 ? 0 : r + n > 255 ? 255 : r + n;
      px[i + 1] = g + n < 0 ? 0 : g + n > 255 ? 255 : g + n;
      px[i + 2] = b + n < 0 ? 0 : b + n > 255 ? 255 : b + n;
    }
  }
  return px;
}

/**
 * A 12 MP JPEG stored sideways with EXIF Orientation 6, camera make/model and GPS position —
 * the metadata ingest has to apply (orientation) or remove (everything else).
 */
export async function makePhoto(spec: PhotoSpec): Promise<Buffer> {
  const px = photoPixels(PHOTO_WIDTH, PHOTO_HEIGHT, spec);
  return sharp(px, { raw: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, channels: 3 } })
    .jpeg({ quality: spec.quality })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'BenchCam', Model: 'Rack One', Artist: 'Bench Engineer' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 1234/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 3900/100',
      },
    })
    .toBuffer();
}

/**
 * The same picture with different bytes: a JPEG comment segment right after SOI. Ingest
 * deduplicates identical uploads by SHA-256 within an org, so every staged item needs its own
 * bytes to go through the full decode/encode path.
 */
export function uniqueVariant(jpeg: Buffer, tag: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const text = Buffer.from(`sessionpix-bench ${tag}`, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment[0] = 0xff;
  segment[1] = 0xfe; // COM
  segment.writeUInt16BE(text.length + 2, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}
