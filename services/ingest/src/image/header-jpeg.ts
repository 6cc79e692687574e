import { corrupt } from './errors';
import { readExifOrientation } from './exif';
import type { ImageHeader } from './header';

// Start-of-frame markers carry the dimensions. C4 (DHT), C8 (reserved) and CC (DAC) share
// the range but are not frames.
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

// Markers without a length field.
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

const EXIF_ID = Buffer.from('Exif\0\0', 'latin1');

/** Walks marker segments from SOI up to the first SOFn; never touches entropy-coded data. */
export function readJpegHeader(buf: Buffer): ImageHeader {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) throw corrupt('missing JPEG start marker');
  let orientation: number | undefined;
  let at = 2;
  for (;;) {
    if (at >= buf.length) throw corrupt('the file ends before the image size is given');
    if (buf[at] !== 0xff) throw corrupt('unexpected bytes between JPEG segments');
    while (at < buf.length && buf[at] === 0xff) at++; // fill bytes may pad any marker
    if (at >= buf.length) throw corrupt('the file ends before the image size is given');
    const marker = buf[at++];
    if (isStandalone(marker)) continue;
    if (marker === 0xd9) throw corrupt('the image ends before its size is given');
    if (marker === 0xda) throw corrupt('image data starts before the image size is given');
    if (at + 2 > buf.length) throw corrupt('the file ends inside a JPEG segment');

    const length = buf.readUInt16BE(at);
    if (length < 2) throw corrupt('invalid JPEG segment length');
    const body = at + 2;
    const end = at + length;

    if (isStartOfFrame(marker)) {
      if (length < 8 || body + 5 > buf.length) throw corrupt('the image size is cut off');
      const size = { height: buf.readUInt16BE(body + 1), width: buf.readUInt16BE(body + 3) };
      return orientation === undefined ? size : { ...size, orientation };
    }
    if (end > buf.length) throw corrupt('the file ends inside a JPEG segment');
    if (
      marker === 0xe1 &&
      orientation === undefined &&
      buf.subarray(body, body + EXIF_ID.length).equals(EXIF_ID)
    ) {
      orientation = readExifOrientation(buf.subarray(body + EXIF_ID.length, end));
    }
    at = end;
  }
}
