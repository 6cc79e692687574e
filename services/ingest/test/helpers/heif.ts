import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PANEL_HEIC_PATH = join(__dirname, '..', 'fixtures', 'panel.heic');

/** 640×480, made with heif-enc: red block top-left, blue block bottom-right, green checks. */
export function panelHeic(): Buffer {
  return readFileSync(PANEL_HEIC_PATH);
}

interface RawBox {
  type: string;
  start: number;
  end: number;
}

function children(buf: Buffer, start: number, end: number): RawBox[] {
  const out: RawBox[] = [];
  for (let at = start; at < end; ) {
    const size = buf.readUInt32BE(at);
    out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, end: at + size });
    at += size;
  }
  return out;
}

function find(boxes: RawBox[], type: string): RawBox {
  const box = boxes.find((b) => b.type === type);
  if (!box) throw new Error(`fixture has no ${type} box`);
  return box;
}

function layout(buf: Buffer) {
  const meta = find(children(buf, 0, buf.length), 'meta');
  const metaChildren = children(buf, meta.start + 12, meta.end);
  const iprp = find(metaChildren, 'iprp');
  const iprpChildren = children(buf, iprp.start + 8, iprp.end);
  return {
    meta,
    iloc: find(metaChildren, 'iloc'),
    iprp,
    ipco: find(iprpChildren, 'ipco'),
    ipma: find(iprpChildren, 'ipma'),
  };
}

/** A copy whose ispe claims another size: the file stays well-formed, only the claim changes. */
export function withClaimedSize(heic: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(heic);
  const { ipco } = layout(copy);
  const ispe = find(children(copy, ipco.start + 8, ipco.end), 'ispe');
  copy.writeUInt32BE(width, ispe.start + 12);
  copy.writeUInt32BE(height, ispe.start + 16);
  return copy;
}

/**
 * Adds an `irot` property (quarter turns anticlockwise) to the single image item of a
 * heif-enc file, as a phone does for a portrait shot. The grown meta box shifts the coded
 * data, so the iloc offsets move with it. Only the simple layout heif-enc writes is handled.
 */
export function withRotation(heic: Buffer, quarterTurnsAnticlockwise: number): Buffer {
  const { meta, iloc, iprp, ipco, ipma } = layout(heic);
  const propertyCount = children(heic, ipco.start + 8, ipco.end).length;
  const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from('irot', 'latin1'), quarterTurnsAnticlockwise & 3]);

  const entry = heic.subarray(ipma.start + 12, ipma.end);
  if (entry.readUInt32BE(0) !== 1 || heic.readUIntBE(ipma.start + 9, 3) !== 0) {
    throw new Error('expected one ipma entry with 8-bit indexes');
  }
  const newIpma = Buffer.concat([
    heic.subarray(ipma.start, ipma.start + 12),
    entry.subarray(0, 6),
    Buffer.from([entry[6] + 1]),
    entry.subarray(7),
    Buffer.from([0x80 | (propertyCount + 1)]), // essential, 1-based index of the new irot
  ]);
  newIpma.writeUInt32BE(newIpma.length, 0);
  const growth = irot.length + 1;

  const out = Buffer.concat([heic.subarray(0, ipco.end), irot, newIpma, heic.subarray(ipma.end)]);
  out.writeUInt32BE(out.readUInt32BE(meta.start) + growth, meta.start);
  out.writeUInt32BE(out.readUInt32BE(iprp.start) + growth, iprp.start);
  out.writeUInt32BE(out.readUInt32BE(ipco.start) + irot.length, ipco.start);

  // iloc version 0 with 4-byte offset, length and base offset fields (what heif-enc writes).
  const body = iloc.start + 12;
  if (out[body] !== 0x44 || out[body + 1] !== 0x40) throw new Error('unexpected iloc layout');
  let at = body + 4;
  for (let items = out.readUInt16BE(body + 2); items > 0; items--) {
    at += 4; // item id + data reference index
    out.writeUInt32BE(out.readUInt32BE(at) + growth, at);
    at += 4;
    at += 2 + out.readUInt16BE(at) * 8;
  }
  return out;
}
