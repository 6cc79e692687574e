import { corrupt } from './errors';

/** One ISO-BMFF box: `start` is its first byte, `body` the first byte after its header. */
export interface Box {
  type: string;
  start: number;
  body: number;
  end: number;
}

/**
 * Lists the boxes laid end to end in `buf[start, end)`. Every box must fit inside its
 * parent; a size that points past it means a truncated or forged file.
 */
export function listBoxes(buf: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at < end) {
    if (at + 8 > end) throw corrupt('a HEIF box header is cut off');
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > end) throw corrupt('a HEIF box header is cut off');
      const large = buf.readBigUInt64BE(at + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a HEIF box is impossibly large');
      size = Number(large);
      body = at + 16;
    } else if (size === 0) {
      size = end - at; // "extends to the end of its container"
    }
    if (size < body - at || at + size > end) throw corrupt('a HEIF box has an invalid size');
    boxes.push({ type, start: at, body, end: at + size });
    at += size;
  }
  return boxes;
}

/** Full boxes start with a version byte and 24 bits of flags. */
export function fullBoxHeader(buf: Buffer, box: Box): { version: number; flags: number; body: number } {
  if (box.body + 4 > box.end) throw corrupt('a HEIF box is cut off');
  return { version: buf[box.body], flags: buf.readUIntBE(box.body + 1, 3), body: box.body + 4 };
}

export function findBox(boxes: Box[], type: string): Box | undefined {
  return boxes.find((b) => b.type === type);
}
