import { fitWithin } from '@sessionpix/ingest/dist/image/geometry';
import {
  ANALYSIS_JPEG_QUALITY,
  ANALYSIS_MAX_EDGE,
  ANALYSIS_MAX_PIXELS,
  MASTER_JPEG_QUALITY,
  MASTER_MAX_EDGE,
  THUMB_MAX_EDGE,
  THUMB_WEBP_QUALITY,
} from '@sessionpix/ingest/dist/image/renditions';
import sharp from 'sharp';

export interface Outputs {
  master: Buffer;
  analysis: Buffer;
  thumbnail: Buffer;
}

/**
 * The baseline: sharp alone, on the calling thread, doing what ingest does to a JPEG — one
 * decode with EXIF auto-orientation into ≤ 4096 px sRGB pixels (alpha flattened on white), then
 * from those pixels a q90 JPEG master, a q85 JPEG analysis rendition (≤ 1568 px, ≤ 1.15 MP)
 * and a q80 WebP thumbnail (≤ 320 px) from the analysis pixels; no metadata written. Same
 * settings and the same order of work as services/ingest/src/image/{decode,renditions}.ts,
 * without the sniffing, header checks, worker thread and message passing around them.
 */
export async function bareSharp(input: Buffer, maxInputPixels: number): Promise<Outputs> {
  const decoded = await sharp(input, { autoOrient: true, limitInputPixels: maxInputPixels, failOn: 'truncated' })
    .resize(MASTER_MAX_EDGE, MASTER_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const master = { width: decoded.info.width, height: decoded.info.height };
  const fromRaw = (data: Buffer, size: { width: number; height: number }) =>
    sharp(data, { raw: { width: size.width, height: size.height, channels: 3 } });
  const analysisSize = fitWithin(master, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  const thumbSize = fitWithin(master, THUMB_MAX_EDGE);
  const [masterJpeg, analysisPixels] = await Promise.all([
    fromRaw(decoded.data, master).jpeg({ quality: MASTER_JPEG_QUALITY }).toBuffer(),
    analysisSize.width === master.width && analysisSize.height === master.height
      ? Promise.resolve(decoded.data)
      : fromRaw(decoded.data, master).resize(analysisSize.width, analysisSize.height, { fit: 'fill' }).raw().toBuffer(),
  ]);
  const [analysis, thumbnail] = await Promise.all([
    fromRaw(analysisPixels, analysisSize).jpeg({ quality: ANALYSIS_JPEG_QUALITY }).toBuffer(),
    fromRaw(analysisPixels, analysisSize)
      .resize(thumbSize.width, thumbSize.height, { fit: 'fill' })
      .webp({ quality: THUMB_WEBP_QUALITY })
      .toBuffer(),
  ]);
  return { master: masterJpeg, analysis, thumbnail };
}
