import sharp, { type Sharp } from 'sharp';
import { type Size, fitWithin } from './geometry';

export const MASTER_MAX_EDGE = 4096;
export const MASTER_JPEG_QUALITY = 90;
export const ANALYSIS_MAX_EDGE = 1568;
export const ANALYSIS_MAX_PIXELS = 1_150_000;
export const ANALYSIS_JPEG_QUALITY = 85;
export const THUMB_MAX_EDGE = 320;
export const THUMB_WEBP_QUALITY = 80;

/**
 * Huffman-table optimisation makes mozjpeg keep two full-image coefficient arrays until the
 * end of the encode: about 72 MB for a 12 MP master, twice what its pixels take. Without it the
 * encoder streams and the master is about 7% larger. The small analysis rendition keeps it.
 */
export const MASTER_JPEG_OPTIONS = { quality: MASTER_JPEG_QUALITY, optimiseCoding: false } as const;
export const ANALYSIS_JPEG_OPTIONS = { quality: ANALYSIS_JPEG_QUALITY } as const;
export const THUMB_WEBP_OPTIONS = { quality: THUMB_WEBP_QUALITY } as const;

export interface EncodedMaster extends Size {
  data: Buffer;
}

export interface SmallRenditions {
  analysis: Buffer;
  analysisSize: Size;
  thumbnail: Buffer;
  thumbSize: Size;
}

/**
 * Writes the master JPEG straight from the upload's pipeline (see `openUpload`), so its pixels
 * never exist as one buffer unless libvips needs them.
 *
 * sharp writes no metadata unless asked (no keepMetadata/withExif here), so no output carries
 * EXIF, XMP, IPTC or an ICC profile.
 */
export async function encodeMaster(pipeline: Sharp): Promise<EncodedMaster> {
  const { data, info } = await pipeline.jpeg(MASTER_JPEG_OPTIONS).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after flattening, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

/**
 * The analysis rendition and thumbnail, from the encoded master: decoding it again is cheap
 * because libjpeg scales by 1/2, 1/4 or 1/8 while decoding (shrink-on-load), and the master is
 * already upright and sRGB. The thumbnail comes from the small analysis pixels; both encodes
 * run side by side on libuv's pool.
 */
export async function encodeSmallRenditions(master: EncodedMaster): Promise<SmallRenditions> {
  const analysisSize = fitWithin(master, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  // Sized from the master so rounding in the analysis step cannot skew the thumbnail.
  const thumbSize = fitWithin(master, THUMB_MAX_EDGE);
  const pixels = await sharp(master.data)
    .resize(analysisSize.width, analysisSize.height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = pixels.info;
  const fromPixels = () => sharp(pixels.data, { raw: { width, height, channels } });
  const [analysis, thumbnail] = await Promise.all([
    fromPixels().jpeg(ANALYSIS_JPEG_OPTIONS).toBuffer(),
    fromPixels().resize(thumbSize.width, thumbSize.height, { fit: 'fill' }).webp(THUMB_WEBP_OPTIONS).toBuffer(),
  ]);
  return { analysis, analysisSize, thumbnail, thumbSize };
}
