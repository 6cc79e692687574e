import sharp, { type Sharp } from 'sharp';
import { ImageRejectedError } from './errors';
import { decodeHeic } from './heic';
import type { ImageHeader } from './header';
import type { ImageType } from './sniff';

// Flattening onto white keeps transparent areas readable in a JPEG master.
const BACKGROUND = '#ffffff';

/**
 * The upload as the start of a libvips pipeline, with the master's geometry and colour applied:
 * upright (EXIF orientation), no larger than `maxEdge` on the long side, alpha flattened, 8-bit
 * sRGB. Nothing is decoded yet for JPEG, PNG and WebP: libvips decodes on demand while the
 * output is written, so the full raster is only held where an operation needs it (a quarter
 * turn). HEIC is decoded here (libheif), since libvips cannot.
 *
 * Embedded ICC profiles are applied (pixels converted to sRGB, the colour space every viewer and
 * the vision model assume) and then dropped, as a profile can name the device it came from.
 * Errors from writing the pipeline go through `uploadDecodeError`.
 */
export async function openUpload(
  input: Buffer,
  type: ImageType,
  header: ImageHeader,
  maxInputPixels: number,
  maxEdge: number,
): Promise<Sharp> {
  let source: Sharp;
  if (type === 'heic') {
    const rgba = await decodeHeic(input, header.width * header.height, maxInputPixels);
    source = sharp(rgba.data, {
      raw: { width: rgba.width, height: rgba.height, channels: rgba.channels },
      limitInputPixels: maxInputPixels,
    });
  } else {
    source = sharp(input, {
      autoOrient: true,
      // The header check already ran; this is the second guard in case the header lied.
      limitInputPixels: maxInputPixels,
      // Tolerates the benign warnings some cameras produce, but not a cut-off upload.
      failOn: 'truncated',
    });
  }
  return source
    .resize(maxEdge, maxEdge, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: BACKGROUND })
    .toColourspace('srgb');
}

/**
 * sharp reports undecodable input with a plain Error. Everything from decoding the upload is
 * the upload's fault, except running out of memory, which is ours and may be retried. HEIC is
 * already decoded by the time sharp sees it, so sharp failing on it is ours too.
 */
export function uploadDecodeError(err: unknown, type: ImageType, maxInputPixels: number): unknown {
  if (type === 'heic') return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/out of memory/i.test(message)) return err;
  if (/pixel limit/i.test(message)) {
    return new ImageRejectedError(
      'too_many_pixels',
      `The image is larger than the ${Math.round(maxInputPixels / 1_000_000)} megapixels we accept. Please upload a smaller photo.`,
      { cause: err },
    );
  }
  return new ImageRejectedError(
    'corrupt_image',
    'The image could not be decoded. It may be damaged or only partly uploaded.',
    { cause: err },
  );
}
