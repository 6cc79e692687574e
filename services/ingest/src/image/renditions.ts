import sharp, { type Sharp } from 'sharp';
import { type Size, fitWithin } from './geometry';

/** Upright, metadata-free, 8-bit sRGB pixels of the master: the single source of every output. */
export interface MasterPixels extends Size {
  data: Buffer;
  channels: 3;
}

export const MASTER_MAX_EDGE = 4096;
export const MASTER_JPEG_QUALITY = 90;
export const ANALYSIS_MAX_EDGE = 1568;
export const ANALYSIS_MAX_PIXELS = 1_150_000;
export const ANALYSIS_JPEG_QUALITY = 85;
export const THUMB_MAX_EDGE = 320;
export const THUMB_WEBP_QUALITY = 80;

export interface EncodedRenditions {
  master: Buffer;
  analysis: Buffer;
  analysisSize: Size;
  thumbnail: Buffer;
  thumbSize: Size;
}

function pixels(image: { data: Buffer } & Size): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/**
 * Encodes the master and derives the analysis rendition and thumbnail from its pixels.
 * Working from raw pixels rather than the encoded master avoids decoding JPEG bytes again,
 * and the thumbnail is taken from the (already small) analysis pixels instead of the
 * full master. Independent encodes run side by side on libuv's pool.
 *
 * sharp writes no metadata unless asked (no keepMetadata/withExif here), so all outputs
 * carry no EXIF, XMP, IPTC or ICC profile.
 */
export async function encodeRenditions(master: MasterPixels): Promise<EncodedRenditions> {
  const analysisSize = fitWithin(master, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  // Sized from the master so rounding in the analysis step cannot skew the thumbnail.
  const thumbSize = fitWithin(master, THUMB_MAX_EDGE);

  const [masterJpeg, analysisPixels] = await Promise.all([
    pixels(master).jpeg({ quality: MASTER_JPEG_QUALITY }).toBuffer(),
    resizeRaw(master, analysisSize),
  ]);
  const [analysis, thumbnail] = await Promise.all([
    pixels(analysisPixels).jpeg({ quality: ANALYSIS_JPEG_QUALITY }).toBuffer(),
    pixels(analysisPixels)
      .resize(thumbSize.width, thumbSize.height, { fit: 'fill' })
      .webp({ quality: THUMB_WEBP_QUALITY })
      .toBuffer(),
  ]);
  return { master: masterJpeg, analysis, analysisSize, thumbnail, thumbSize };
}

async function resizeRaw(image: MasterPixels, size: Size): Promise<MasterPixels> {
  if (size.width === image.width && size.height === image.height) return image;
  const data = await pixels(image).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
  return { data, ...size, channels: 3 };
}
