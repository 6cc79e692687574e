import { fitWithin } from '@sessionpix/ingest/dist/image/geometry';
import {
  ANALYSIS_JPEG_OPTIONS,
  ANALYSIS_MAX_EDGE,
  ANALYSIS_MAX_PIXELS,
  halfSizeOf,
  MASTER_JPEG_OPTIONS,
  MASTER_MAX_EDGE,
  THUMB_MAX_EDGE,
  THUMB_WEBP_OPTIONS,
} from '@sessionpix/ingest/dist/image/renditions';
import sharp from 'sharp';

export interface Outputs {
  master: Buffer;
  masterHalf: Buffer;
  analysis: Buffer;
  thumbnail: Buffer;
}

/**
 * The baseline: sharp alone, on the calling thread, doing what ingest does to a JPEG — one
 * pipeline from the upload with EXIF auto-orientation, ≤ 4096 px, alpha flattened on white and
 * sRGB straight into the q90 JPEG master; then the master decoded again at reduced scale into
 * a q90 JPEG at half size, that decoded into the analysis pixels (≤ 1568 px, ≤ 1.15 MP), encoded
 * as a q85 JPEG, and a q80 WebP thumbnail (≤ 320 px) from those pixels; no metadata written. Same settings and the same order of work
 * as services/ingest/src/image/{decode,renditions}.ts, without the sniffing, header checks,
 * worker thread and message passing around them.
 */
export async function bareSharp(input: Buffer, maxInputPixels: number): Promise<Outputs> {
  const encoded = await sharp(input, { autoOrient: true, limitInputPixels: maxInputPixels, failOn: 'truncated' })
    .resize(MASTER_MAX_EDGE, MASTER_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg(MASTER_JPEG_OPTIONS)
    .toBuffer({ resolveWithObject: true });
  const master = { width: encoded.info.width, height: encoded.info.height };
  const analysisSize = fitWithin(master, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  const thumbSize = fitWithin(master, THUMB_MAX_EDGE);
  const half = halfSizeOf(master);
  const masterHalf = await sharp(encoded.data).resize(half.width, half.height, { fit: 'fill' }).jpeg(MASTER_JPEG_OPTIONS).toBuffer();
  const pixelsFrom = analysisSize.width <= half.width && analysisSize.height <= half.height ? masterHalf : encoded.data;
  const pixels = await sharp(pixelsFrom).resize(analysisSize.width, analysisSize.height, { fit: 'fill' }).raw().toBuffer();
  const fromRaw = () => sharp(pixels, { raw: { width: analysisSize.width, height: analysisSize.height, channels: 3 } });
  const [analysis, thumbnail] = await Promise.all([
    fromRaw().jpeg(ANALYSIS_JPEG_OPTIONS).toBuffer(),
    fromRaw().resize(thumbSize.width, thumbSize.height, { fit: 'fill' }).webp(THUMB_WEBP_OPTIONS).toBuffer(),
  ]);
  return { master: encoded.data, masterHalf, analysis, thumbnail };
}
