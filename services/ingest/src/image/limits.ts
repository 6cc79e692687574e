import { ImageRejectedError } from './errors';

/** A sensible cap: well above any phone or DSLR photo, far below what exhausts a worker pod. */
export const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

/**
 * Refuses a picture by its declared size, before any decoder allocates memory for it.
 * Decoders are also given the same cap (sharp's `limitInputPixels`) in case a header lies.
 */
export function assertPixelBudget(
  size: { width: number; height: number },
  maxInputPixels: number,
): void {
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageRejectedError(
      'invalid_dimensions',
      `The image says it is ${width} × ${height} pixels, which is not a real picture size. The file may be damaged.`,
    );
  }
  const pixels = width * height;
  if (pixels > maxInputPixels) {
    throw new ImageRejectedError(
      'too_many_pixels',
      `The image is ${width} × ${height} pixels (${formatMegapixels(pixels)}), more than the ` +
        `${formatMegapixels(maxInputPixels)} we accept. Please upload a smaller photo.`,
    );
  }
}

export function assertValidPixelCap(maxInputPixels: number): void {
  if (!Number.isSafeInteger(maxInputPixels) || maxInputPixels <= 0) {
    throw new RangeError(`maxInputPixels must be a positive integer, got ${maxInputPixels}`);
  }
}

function formatMegapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return `${mp >= 100 ? Math.round(mp) : Number(mp.toPrecision(3))} megapixels`;
}
