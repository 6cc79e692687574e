import { ImageRejectedError, type ImageRejectReasonCode } from './errors';

export type ImageType = 'jpeg' | 'png' | 'webp' | 'heic';

/** Enough bytes for every check in this file; callers may pass more or fewer. */
export const SNIFF_BYTES = 512;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// Still-image HEVC brands. AVIF (`avif`/`avis`) shares the container and usually lists
// `mif1` too, but the HEIC decoder cannot read AV1, so any AV1 brand disqualifies a file.
const HEIC_BRANDS: ReadonlySet<string> = new Set([
  'heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1',
]);
const AV1_BRANDS: ReadonlySet<string> = new Set(['avif', 'avis']);

export interface FtypBrands {
  major: string;
  compatible: string[];
}

/** Brands of a leading ISO-BMFF `ftyp` box, or null when the bytes do not start with one. */
export function readFtypBrands(head: Buffer): FtypBrands | null {
  if (head.length < 16 || head.toString('latin1', 4, 8) !== 'ftyp') return null;
  const size = head.readUInt32BE(0);
  if (size < 16) return null;
  const end = Math.min(size, head.length);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= end; at += 4) compatible.push(head.toString('latin1', at, at + 4));
  return { major: head.toString('latin1', 8, 12), compatible };
}

function isHeicBrands(brands: FtypBrands): boolean {
  const all = [brands.major, ...brands.compatible];
  if (all.some((b) => AV1_BRANDS.has(b))) return false;
  return all.some((b) => HEIC_BRANDS.has(b));
}

/** Identifies an accepted image type from its first bytes only; never trusts names or MIME types. */
export function sniffImageType(head: Buffer): ImageType | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (
    head.length >= 12 &&
    head.toString('latin1', 0, 4) === 'RIFF' &&
    head.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'webp';
  }
  const brands = readFtypBrands(head);
  if (brands && isHeicBrands(brands)) return 'heic';
  return null;
}

export interface UnsupportedDescription {
  /** A short machine label of what the bytes appear to be, for logs and metrics. */
  detected:
    | 'empty' | 'gif' | 'tiff' | 'bmp' | 'pdf' | 'avif' | 'video' | 'zip'
    | 'svg' | 'html' | 'xml' | 'text' | 'unknown';
  reasonCode: ImageRejectReasonCode;
  reason: string;
}

const ACCEPTED = 'Please upload a photo saved as JPEG, PNG, WebP or HEIC.';

function unsupported(
  detected: UnsupportedDescription['detected'],
  what: string,
): UnsupportedDescription {
  return { detected, reasonCode: 'unsupported_type', reason: `This file is ${what}, not a photo we can read. ${ACCEPTED}` };
}

/**
 * Names what a rejected upload most likely is, so the user is told "this is a PDF" rather
 * than "unknown format". Meant for bytes that `sniffImageType` did not accept.
 */
export function describeUnsupported(head: Buffer): UnsupportedDescription {
  if (head.length === 0) {
    return {
      detected: 'empty',
      reasonCode: 'empty_file',
      reason: 'The file is empty (0 bytes). The upload may have failed; please upload the photo again.',
    };
  }
  const ascii = head.toString('latin1', 0, Math.min(head.length, 16));
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return unsupported('gif', 'a GIF image');
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) {
    return unsupported('tiff', 'a TIFF image (or a camera RAW file)');
  }
  if (ascii.startsWith('%PDF-')) return unsupported('pdf', 'a PDF document');
  if (ascii.startsWith('PK\u0003\u0004')) return unsupported('zip', 'a ZIP archive or office document');
  if (ascii.startsWith('BM') && head.length >= 18 && [12, 40, 52, 56, 108, 124].includes(head.readUInt32LE(14))) {
    return unsupported('bmp', 'a BMP image');
  }
  const brands = readFtypBrands(head);
  if (brands) {
    const all = [brands.major, ...brands.compatible];
    if (all.some((b) => AV1_BRANDS.has(b))) return unsupported('avif', 'an AVIF image');
    return unsupported('video', 'a video or other media file');
  }
  return describeMarkup(head) ?? unsupported('unknown', 'in a format we do not recognise');
}

function describeMarkup(head: Buffer): UnsupportedDescription | null {
  if (!looksLikeText(head)) return null;
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (text.includes('<svg')) return unsupported('svg', 'an SVG drawing');
  if (/^<(!doctype html|html|head|body|script|meta|div|iframe)\b/.test(text)) {
    return unsupported('html', 'a web page (HTML)');
  }
  if (text.startsWith('<?xml')) return unsupported('xml', 'an XML document');
  return unsupported('text', 'a text file');
}

/** No NUL bytes and almost only printable characters: text, whatever its extension says. */
function looksLikeText(head: Buffer): boolean {
  const sample = head.subarray(0, SNIFF_BYTES);
  let printable = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if (byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable++;
  }
  return printable / sample.length >= 0.95;
}

/** The error to throw for bytes that are not an accepted image type. */
export function rejectUnsupported(head: Buffer): ImageRejectedError {
  const { reasonCode, reason } = describeUnsupported(head);
  return new ImageRejectedError(reasonCode, reason);
}
