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
  /** The master at half size (JPEG, same quality): pass 2 cuts its crops from it when they need no more. */
  masterHalf: Buffer;
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
 * The half-size master's dimensions: libjpeg's own when it decodes at 1/2 scale (rounded up),
 * so the master is shrunk while it is decoded and no resampling follows.
 */
export function halfSizeOf(master: Size): Size {
  return { width: Math.ceil(master.width / 2), height: Math.ceil(master.height / 2) };
}

/**
 * The half-size master, the analysis rendition and the thumbnail, from the encoded master:
 * decoding it at half size is cheap because libjpeg scales while decoding (shrink-on-load), and
 * the master is already upright and sRGB. (A crop cannot be cut that way later: sharp turns
 * shrink-on-load off when a region is extracted first, hence the stored half-size copy.)
 * The analysis pixels come from the half-size JPEG when it is large enough, which is cheaper than
 * decoding the master again; the thumbnail comes from the small analysis pixels, and both encodes
 * run side by side on libuv's pool. Every step streams: no full-size pixels are held.
 */
export async function encodeSmallRenditions(master: EncodedMaster): Promise<SmallRenditions> {
  const halfSize = halfSizeOf(master);
  const analysisSize = fitWithin(master, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  // Sized from the master so rounding in the analysis step cannot skew the thumbnail.
  const thumbSize = fitWithin(master, THUMB_MAX_EDGE);
  const masterHalf = await sharp(master.data).resize(halfSize.width, halfSize.height, { fit: 'fill' }).jpeg(MASTER_JPEG_OPTIONS).toBuffer();
  const analysisSource = analysisSize.width <= halfSize.width && analysisSize.height <= halfSize.height ? masterHalf : master.data;
  const pixels = await sharp(analysisSource)
    .resize(analysisSize.width, analysisSize.height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = pixels.info;
  const fromPixels = () => sharp(pixels.data, { raw: { width, height, channels } });
  const [analysis, thumbnail] = await Promise.all([
    fromPixels().jpeg(ANALYSIS_JPEG_OPTIONS).toBuffer(),
    fromPixels().resize(thumbSize.width, thumbSize.height, { fit: 'fill' }).webp(THUMB_WEBP_OPTIONS).toBuffer(),
  ]);
  return { masterHalf, analysis, analysisSize, thumbnail, thumbSize };
}
