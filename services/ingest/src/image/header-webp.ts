import { corrupt } from './errors';
import type { ImageHeader } from './header';

const VP8_START_CODE = [0x9d, 0x01, 0x2a];
const VP8L_SIGNATURE = 0x2f;

/** The first chunk after "RIFF....WEBP" decides the layout: lossy, lossless or extended. */
export function readWebpHeader(buf: Buffer): ImageHeader {
  if (buf.length < 20) throw corrupt('the WebP header is cut off');
  const chunk = buf.toString('latin1', 12, 16);
  const data = 20;
  switch (chunk) {
    case 'VP8 ': {
      if (buf.length < data + 10) throw corrupt('the WebP header is cut off');
      if (VP8_START_CODE.some((byte, i) => buf[data + 3 + i] !== byte)) {
        throw corrupt('the WebP frame header is invalid');
      }
      // The top two bits of each field are an upscaling hint, not part of the size.
      return {
        width: buf.readUInt16LE(data + 6) & 0x3fff,
        height: buf.readUInt16LE(data + 8) & 0x3fff,
      };
    }
    case 'VP8L': {
      if (buf.length < data + 5) throw corrupt('the WebP header is cut off');
      if (buf[data] !== VP8L_SIGNATURE) throw corrupt('the WebP lossless header is invalid');
      const bits = buf.readUInt32LE(data + 1);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X': {
      if (buf.length < data + 10) throw corrupt('the WebP header is cut off');
      return { width: buf.readUIntLE(data + 4, 3) + 1, height: buf.readUIntLE(data + 7, 3) + 1 };
    }
    default:
      throw corrupt('the WebP file has no image data');
  }
}
