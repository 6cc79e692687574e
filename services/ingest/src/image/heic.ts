import type HeicDecode from 'heic-decode';
import { ImageRejectedError, corrupt } from './errors';
import { assertPixelBudget } from './limits';

export interface RgbaImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 4;
}

// heic-decode only looks at the major brand and knows these; libheif itself decides by the
// compatible brands, which `sniffImageType` has already checked.
const MAJOR_BRANDS_KNOWN_TO_HEIC_DECODE = new Set(['mif1', 'msf1', 'heic', 'heix', 'hevc', 'hevx']);

/**
 * Decodes the HEIC picture to RGBA with libheif (WebAssembly), since sharp's prebuilt libvips
 * has no HEVC decoder. libheif applies `irot`/`imir`, so the pixels come out in display
 * orientation; the EXIF Orientation tag inside a HEIC is ignored, as HEIF requires (phones
 * write both, and applying both would turn the picture twice).
 *
 * The decode runs synchronously on the calling thread, which is one reason the worker pool
 * exists.
 */
export async function decodeHeic(
  input: Buffer,
  expectedPixels: number,
  maxInputPixels: number,
): Promise<RgbaImage> {
  const heicDecode = await loadHeicDecode();
  let images: Awaited<ReturnType<typeof HeicDecode.all>>;
  try {
    images = await heicDecode.all({ buffer: withKnownMajorBrand(input) });
  } catch (err) {
    throw decodeFailure(err);
  }
  try {
    const image = pickPrimary(images, expectedPixels);
    // libheif reports the size it will allocate; check it too, in case the header lied.
    assertPixelBudget(image, maxInputPixels);
    let decoded;
    try {
      decoded = await image.decode();
    } catch (err) {
      throw decodeFailure(err);
    }
    const { data, width, height } = decoded;
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
  } finally {
    images.dispose();
  }
}

let decoder: Promise<typeof HeicDecode> | undefined;

/**
 * libheif is loaded with the first HEIC, not at start-up: its WebAssembly costs about 10 MB in
 * every thread that loads it, and most uploads are JPEG.
 */
function loadHeicDecode(): Promise<typeof HeicDecode> {
  decoder ??= import('heic-decode').then((m) => m.default);
  return decoder;
}

/**
 * Whether this thread has loaded libheif. WebAssembly memory only ever grows, so after a
 * decode it keeps the largest picture's pixels resident for the life of the thread.
 */
export function heicDecoderLoaded(): boolean {
  return decoder !== undefined;
}

/**
 * libheif lists top-level images (no thumbnails, tiles or auxiliary images). Almost always
 * there is one; otherwise prefer the one the header named primary, then the largest.
 */
function pickPrimary<T extends { width: number; height: number }>(images: T[], expectedPixels: number): T {
  if (images.length === 0) throw corrupt('the HEIC file contains no picture');
  const area = (i: T): number => i.width * i.height;
  const primary = images.find((i) => area(i) === expectedPixels);
  return primary ?? images.reduce((a, b) => (area(b) > area(a) ? b : a));
}

function withKnownMajorBrand(input: Buffer): Buffer {
  if (MAJOR_BRANDS_KNOWN_TO_HEIC_DECODE.has(input.toString('latin1', 8, 12))) return input;
  const copy = Buffer.from(input);
  copy.write('mif1', 8, 'latin1');
  return copy;
}

function decodeFailure(err: unknown): ImageRejectedError {
  if (err instanceof ImageRejectedError) return err;
  return new ImageRejectedError(
    'corrupt_image',
    'The HEIC photo could not be decoded. It may be damaged, only partly uploaded, or use a HEIC variant we cannot read.',
    { cause: err },
  );
}
