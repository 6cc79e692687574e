import { openUpload, uploadDecodeError } from './decode';
import { readImageHeader } from './header';
import { assertPixelBudget, assertValidPixelCap } from './limits';
import { type EncodedMaster, MASTER_MAX_EDGE, encodeMaster, encodeSmallRenditions } from './renditions';
import { type ImageType, SNIFF_BYTES, rejectUnsupported, sniffImageType } from './sniff';

export interface ProcessImageOptions {
  /** Refuse pictures with more pixels than this, before decoding. */
  maxInputPixels: number;
}

export interface ProcessedImage {
  /** JPEG, upright, no metadata, long edge ≤ 4096 px. */
  master: Buffer;
  masterWidth: number;
  masterHeight: number;
  /** JPEG, the master at half its size (rounded up), no metadata. */
  masterHalf: Buffer;
  /** JPEG for the vision passes: long edge ≤ 1568 px and ≤ 1.15 MP, no metadata. */
  analysis: Buffer;
  analysisWidth: number;
  analysisHeight: number;
  /** WebP, long edge ≤ 320 px, no metadata. */
  thumbnail: Buffer;
  thumbWidth: number;
  thumbHeight: number;
  sourceType: ImageType;
}

/**
 * Upload bytes in, master + analysis rendition + thumbnail out. Rejections (bad type,
 * damaged file, too many pixels) throw `ImageRejectedError` before any pixel is decoded
 * whenever the header alone is enough to tell.
 *
 * The master is always JPEG, PNG uploads included: one content type for every stored master,
 * a fraction of the bytes for photographs, and quality 90 keeps panel labels legible.
 */
export async function processImage(input: Buffer, opts: ProcessImageOptions): Promise<ProcessedImage> {
  assertValidPixelCap(opts.maxInputPixels);
  const head = input.subarray(0, SNIFF_BYTES);
  const sourceType = sniffImageType(head);
  if (!sourceType) throw rejectUnsupported(head);

  const header = readImageHeader(input, sourceType);
  assertPixelBudget(header, opts.maxInputPixels);

  const pipeline = await openUpload(input, sourceType, header, opts.maxInputPixels, MASTER_MAX_EDGE);
  let master: EncodedMaster;
  try {
    master = await encodeMaster(pipeline);
  } catch (err) {
    throw uploadDecodeError(err, sourceType, opts.maxInputPixels);
  }
  // Decoding our own master can only fail on our side: no mapping to a rejection.
  const out = await encodeSmallRenditions(master);
  return {
    master: master.data,
    masterWidth: master.width,
    masterHeight: master.height,
    masterHalf: out.masterHalf,
    analysis: out.analysis,
    analysisWidth: out.analysisSize.width,
    analysisHeight: out.analysisSize.height,
    thumbnail: out.thumbnail,
    thumbWidth: out.thumbSize.width,
    thumbHeight: out.thumbSize.height,
    sourceType,
  };
}
