import sharp, { type Sharp } from 'sharp';
import { ImageRejectedError } from './errors';
import { decodeHeic } from './heic';
import type { ImageHeader } from './header';
import { MASTER_MAX_EDGE, type MasterPixels } from './renditions';
import type { ImageType } from './sniff';

// Flattening onto white keeps transparent areas readable in a JPEG master.
const BACKGROUND = '#ffffff';

/**
 * Decodes the upload once into the master's pixels: upright (EXIF orientation applied),
 * no larger than MASTER_MAX_EDGE on the long side, alpha flattened, 8-bit sRGB. Embedded ICC
 * profiles are applied here and then dropped: the pixels are converted to sRGB, the colour
 * space every viewer and the vision model assume, and a profile can name the device it came from.
 */
export async function decodeMasterPixels(
  input: Buffer,
  type: ImageType,
  header: ImageHeader,
  maxInputPixels: number,
): Promise<MasterPixels> {
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

  try {
    const { data, info } = await source
      .resize(MASTER_MAX_EDGE, MASTER_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: BACKGROUND })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after flattening, got ${info.channels}`);
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw type === 'heic' ? err : asRejection(err, maxInputPixels);
  }
}

/**
 * sharp reports undecodable input with a plain Error. Everything from decoding the upload is
 * the upload's fault, except running out of memory, which is ours and may be retried.
 */
function asRejection(err: unknown, maxInputPixels: number): unknown {
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
