/**
 * Checks an image before it goes to the model (P11): its bytes must be the declared format and
 * carry no embedded metadata (EXIF with location or camera data, XMP, IPTC, text chunks).
 * Ingest strips all of it; this guard makes a regression fail loudly instead of leaking.
 */
export type VisionImageFormat = 'jpeg' | 'png' | 'webp';

export function imageProblem(bytes: Uint8Array, format: VisionImageFormat): string | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'jpeg':
      return buf.length > 3 && buf[0] === 0xff && buf[1] === 0xd8 ? jpegMetadata(buf) : 'is not a JPEG';
    case 'png':
      return buf.length > 8 && buf.readUInt32BE(0) === 0x89504e47 ? pngMetadata(buf) : 'is not a PNG';
    case 'webp':
      return buf.length > 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP'
        ? webpMetadata(buf)
        : 'is not a WebP';
  }
}

function jpegMetadata(buf: Buffer): string | null {
  let i = 2;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1]!;
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end: headers are over
    if (marker === 0xff || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = buf.readUInt16BE(i + 2);
    const head = buf.toString('latin1', i + 4, Math.min(i + 4 + 32, buf.length));
    if (marker === 0xe1 && head.startsWith('Exif')) return 'carries EXIF metadata';
    if (marker === 0xe1 && head.startsWith('http://ns.adobe.com/xap/')) return 'carries XMP metadata';
    if (marker === 0xed) return 'carries IPTC metadata';
    if (marker === 0xfe) return 'carries a JPEG comment';
    i += 2 + length;
  }
  return null;
}

const PNG_METADATA_CHUNKS = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

function pngMetadata(buf: Buffer): string | null {
  for (let i = 8; i + 8 <= buf.length; ) {
    const length = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    if (PNG_METADATA_CHUNKS.has(type)) return `carries a PNG ${type} metadata chunk`;
    if (type === 'IEND') return null;
    i += 12 + length;
  }
  return null;
}

function webpMetadata(buf: Buffer): string | null {
  for (let i = 12; i + 8 <= buf.length; ) {
    const type = buf.toString('latin1', i, i + 4);
    if (type === 'EXIF' || type === 'XMP ') return `carries ${type.trim()} metadata`;
    i += 8 + buf.readUInt32LE(i + 4) + (buf.readUInt32LE(i + 4) % 2); // chunks are padded to even
  }
  return null;
}
