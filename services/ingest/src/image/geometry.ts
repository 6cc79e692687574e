export interface Size {
  width: number;
  height: number;
}

/**
 * The largest size with the same aspect ratio that fits both a long-edge cap and a total
 * pixel cap, never larger than the input. Rounding down keeps both caps strict; a side
 * never drops below one pixel.
 */
export function fitWithin(size: Size, maxLongEdge: number, maxPixels = Number.POSITIVE_INFINITY): Size {
  const { width, height } = size;
  const scale = Math.min(
    1,
    maxLongEdge / Math.max(width, height),
    Math.sqrt(maxPixels / (width * height)),
  );
  if (scale >= 1) return { width, height };
  return {
    width: Math.max(1, Math.floor(width * scale)),
    height: Math.max(1, Math.floor(height * scale)),
  };
}
