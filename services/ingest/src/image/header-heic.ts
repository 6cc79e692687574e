import { corrupt } from './errors';
import type { ImageHeader } from './header';
import { type Box, findBox, fullBoxHeader, listBoxes } from './isobmff';

interface Size {
  width: number;
  height: number;
}

/**
 * meta → iprp → ipco holds the item properties, including `ispe` (image spatial extents);
 * ipma says which item uses which. The primary item's ispe is the picture the decoder
 * will produce; without a usable association, the largest ispe is the safe assumption for a
 * pixel budget, since every decodable item (grid, tile, thumbnail) must carry one.
 */
export function readHeicHeader(buf: Buffer): ImageHeader {
  const meta = findBox(listBoxes(buf, 0, buf.length), 'meta');
  if (!meta) throw corrupt('the HEIC file has no metadata box');
  const children = listBoxes(buf, fullBoxHeader(buf, meta).body, meta.end);

  const iprp = findBox(children, 'iprp');
  const iprpChildren = iprp ? listBoxes(buf, iprp.body, iprp.end) : [];
  const ipco = findBox(iprpChildren, 'ipco');
  if (!ipco) throw corrupt('the HEIC file has no image properties');
  const properties = listBoxes(buf, ipco.body, ipco.end);

  const sizes = new Map<number, Size>(); // 1-based property index → extents
  properties.forEach((box, i) => {
    if (box.type === 'ispe') sizes.set(i + 1, readIspe(buf, box));
  });
  if (sizes.size === 0) throw corrupt('the HEIC file does not state its image size');

  const pitm = findBox(children, 'pitm');
  const ipma = findBox(iprpChildren, 'ipma');
  if (pitm && ipma) {
    const primary = readPrimaryItemId(buf, pitm);
    const indexes = readAssociations(buf, ipma).get(primary) ?? [];
    for (const index of indexes) {
      const size = sizes.get(index);
      if (size) return size;
    }
  }
  let largest: Size = { width: 0, height: 0 };
  for (const size of sizes.values()) {
    if (size.width * size.height > largest.width * largest.height) largest = size;
  }
  return largest;
}

function readIspe(buf: Buffer, box: Box): Size {
  const { body } = fullBoxHeader(buf, box);
  if (body + 8 > box.end) throw corrupt('the HEIC image size is cut off');
  return { width: buf.readUInt32BE(body), height: buf.readUInt32BE(body + 4) };
}

function readPrimaryItemId(buf: Buffer, pitm: Box): number {
  const { version, body } = fullBoxHeader(buf, pitm);
  const width = version === 0 ? 2 : 4;
  if (body + width > pitm.end) throw corrupt('the HEIC primary item is cut off');
  return buf.readUIntBE(body, width);
}

/** item id → 1-based property indexes (the "essential" bit stripped). */
function readAssociations(buf: Buffer, ipma: Box): Map<number, number[]> {
  const { version, flags, body } = fullBoxHeader(buf, ipma);
  const idWidth = version < 1 ? 2 : 4;
  const indexWidth = flags & 1 ? 2 : 1;
  const indexMask = indexWidth === 2 ? 0x7fff : 0x7f;
  const need = (at: number, n: number): void => {
    if (at + n > ipma.end) throw corrupt('the HEIC property associations are cut off');
  };

  need(body, 4);
  const entries = buf.readUInt32BE(body);
  const result = new Map<number, number[]>();
  let at = body + 4;
  for (let e = 0; e < entries; e++) {
    need(at, idWidth + 1);
    const itemId = buf.readUIntBE(at, idWidth);
    const count = buf[at + idWidth];
    at += idWidth + 1;
    need(at, count * indexWidth);
    const indexes: number[] = [];
    for (let i = 0; i < count; i++, at += indexWidth) {
      indexes.push(buf.readUIntBE(at, indexWidth) & indexMask);
    }
    result.set(itemId, indexes);
  }
  return result;
}
