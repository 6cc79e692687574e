import { readHeicHeader } from './header-heic';
import { readJpegHeader } from './header-jpeg';
import { readPngHeader } from './header-png';
import { readWebpHeader } from './header-webp';
import type { ImageType } from './sniff';

/**
 * Dimensions as stored in the file, read without decoding a single pixel: the only
 * trustworthy moment to refuse a decompression bomb is before a decoder allocates for it.
 */
export interface ImageHeader {
  /** Stored width, before any orientation is applied. */
  width: number;
  /** Stored height, before any orientation is applied. */
  height: number;
  /**
   * EXIF orientation (1-8) when the container carries one cheaply (JPEG APP1). HEIC is left
   * out on purpose: its rotation lives in `irot`, which the HEIC decoder applies itself.
   */
  orientation?: number;
}

/** Throws `ImageRejectedError` (`corrupt_image`) for truncated or nonsensical headers. */
export function readImageHeader(buf: Buffer, type: ImageType): ImageHeader {
  switch (type) {
    case 'jpeg':
      return readJpegHeader(buf);
    case 'png':
      return readPngHeader(buf);
    case 'webp':
      return readWebpHeader(buf);
    case 'heic':
      return readHeicHeader(buf);
  }
}
