import sharp from 'sharp';

export type Rgb = [number, number, number];

export interface Block {
  x: number;
  y: number;
  width: number;
  height: number;
  colour: Rgb;
}

/**
 * A textured RGB picture (so JPEG sizes are realistic) with flat coloured blocks whose
 * positions prove how the picture was turned.
 */
export function patternPixels(width: number, height: number, blocks: Block[]): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = 96 + ((x * 7 + y * 3) & 63);
      px[i + 1] = 96 + ((x ^ y) & 63);
      px[i + 2] = 96 + (((x >> 4) * (y >> 4)) & 63);
    }
  }
  for (const b of blocks) {
    for (let y = b.y; y < b.y + b.height; y++) {
      for (let x = b.x; x < b.x + b.width; x++) {
        const i = (y * width + x) * 3;
        [px[i], px[i + 1], px[i + 2]] = b.colour;
      }
    }
  }
  return px;
}

export const RED: Rgb = [230, 20, 20];
export const BLUE: Rgb = [20, 20, 230];

export const SIDEWAYS = { width: 4000, height: 3000 } as const;

/**
 * 12 MP stored landscape with EXIF Orientation 6 (display = stored turned 90° clockwise),
 * plus GPS, owner, XMP and IPTC metadata that must all disappear. Stored top-left is red
 * (displayed top-right); stored bottom-left is blue (displayed top-left).
 */
export async function sidewaysPhoto(): Promise<Buffer> {
  const { width, height } = SIDEWAYS;
  const px = patternPixels(width, height, [
    { x: 0, y: 0, width: 400, height: 300, colour: RED },
    { x: 0, y: height - 300, width: 400, height: 300, colour: BLUE },
  ]);
  const jpeg = await sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Artist: 'Owner Name', Make: 'SessionCam', Model: 'Recall One', Copyright: 'Owner Name' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 1234/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 3900/100',
      },
    })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.2N"/>' +
        '</rdf:RDF></x:xmpmeta>',
    )
    .toBuffer();
  return withIptc(jpeg, 'Owner Name');
}

/** Inserts an APP13 (Photoshop IRB) segment carrying an IPTC By-line right after SOI. */
export function withIptc(jpeg: Buffer, byline: string): Buffer {
  const text = Buffer.from(byline, 'latin1');
  const iptc = Buffer.concat([Buffer.from([0x1c, 0x02, 0x50]), u16(text.length), text]);
  const irb = Buffer.concat([
    Buffer.from('8BIM', 'latin1'),
    u16(0x0404),
    Buffer.from([0, 0]), // empty resource name, padded to even length
    u32(iptc.length),
    iptc,
    iptc.length % 2 ? Buffer.from([0]) : Buffer.alloc(0),
  ]);
  const body = Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), irb]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xed]), u16(body.length + 2), body]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export interface RawPicture {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export async function decodeRaw(encoded: Buffer): Promise<RawPicture> {
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

export function pixelAt(pic: RawPicture, x: number, y: number): Rgb {
  const i = (y * pic.width + x) * pic.channels;
  return [pic.data[i], pic.data[i + 1], pic.data[i + 2]];
}

/** Colour match with room for JPEG/HEVC loss. */
export function isNear(actual: Rgb, expected: Rgb, tolerance = 40): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}
