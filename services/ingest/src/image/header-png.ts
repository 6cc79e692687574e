import { crc32 } from './crc32';
import { corrupt } from './errors';
import type { ImageHeader } from './header';

const IHDR_LENGTH = 13;
const MAX_PNG_DIMENSION = 0x7fffffff; // the PNG spec's limit for width and height

/** IHDR must be the first chunk; its CRC is checked so random bytes after a PNG signature fail here. */
export function readPngHeader(buf: Buffer): ImageHeader {
  if (buf.length < 8 + 8 + IHDR_LENGTH + 4) throw corrupt('the PNG header is cut off');
  if (buf.readUInt32BE(8) !== IHDR_LENGTH || buf.toString('latin1', 12, 16) !== 'IHDR') {
    throw corrupt('the PNG header chunk is missing');
  }
  const expected = buf.readUInt32BE(16 + IHDR_LENGTH);
  if (crc32(buf.subarray(12, 16 + IHDR_LENGTH)) !== expected) {
    throw corrupt('the PNG header checksum does not match');
  }
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  if (width > MAX_PNG_DIMENSION || height > MAX_PNG_DIMENSION) {
    throw corrupt('the PNG header gives an impossible size');
  }
  return { width, height };
}
