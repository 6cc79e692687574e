import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeUnsupported, sniffImageType } from '../src/image';
import { panelHeic } from './helpers/heif';

function ftyp(major: string, ...compatible: string[]): Buffer {
  const brands = Buffer.from([major, '\0\0\0\0', ...compatible].join(''), 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + brands.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), brands, Buffer.alloc(32)]);
}

describe('sniffImageType', () => {
  it('recognises the accepted types by their bytes', async () => {
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } });
    expect(sniffImageType(await base.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageType(await base.clone().png().toBuffer())).toBe('png');
    expect(sniffImageType(await base.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageType(panelHeic())).toBe('heic');
  });

  it.each([
    ['heic'], ['heix'], ['hevc'], ['hevx'], ['heim'], ['heis'], ['mif1'], ['msf1'],
  ])('accepts the HEIF brand %s as major brand', (brand) => {
    expect(sniffImageType(ftyp(brand))).toBe('heic');
  });

  it('accepts a HEIC brand listed only as compatible', () => {
    expect(sniffImageType(ftyp('MiHE', 'MiHE', 'heic', 'mif1'))).toBe('heic');
  });

  it('refuses AVIF, even though it shares the container and the mif1 brand', async () => {
    expect(sniffImageType(ftyp('avif', 'avif', 'mif1', 'miaf'))).toBeNull();
    expect(sniffImageType(ftyp('mif1', 'mif1', 'avif'))).toBeNull();
    expect(sniffImageType(ftyp('avis', 'avis', 'msf1'))).toBeNull();
    const avif = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00f' } }).avif().toBuffer();
    expect(sniffImageType(avif)).toBeNull();
    expect(describeUnsupported(avif).detected).toBe('avif');
  });

  it('refuses other ISO-BMFF media and short or foreign bytes', () => {
    expect(sniffImageType(ftyp('isom', 'isom', 'mp41'))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'))).toBeNull();
  });

  it('ignores what the bytes claim to be named', () => {
    // Same bytes, any name: the function only ever sees content.
    expect(sniffImageType(Buffer.from('just text, uploaded as photo.heic'))).toBeNull();
  });
});

describe('describeUnsupported', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'empty'],
    ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'gif'],
    ['tiff (II)', Buffer.from('II*\0\x08\0\0\0', 'latin1'), 'tiff'],
    ['tiff (MM)', Buffer.from('MM\0*\0\0\0\x08', 'latin1'), 'tiff'],
    ['pdf', Buffer.from('%PDF-1.4\n%âãÏÓ\n', 'latin1'), 'pdf'],
    ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'svg'],
    ['svg after an XML prolog', Buffer.from('\uFEFF<?xml version="1.0"?>\n<!-- x -->\n<svg/>'), 'svg'],
    ['html', Buffer.from('  <!doctype html><html><body>hi</body></html>'), 'html'],
    ['xml', Buffer.from('<?xml version="1.0"?><recall/>'), 'xml'],
    ['text', Buffer.from('channel 3: gain 2 o\'clock\n'), 'text'],
    ['zip', Buffer.from('PK\x03\x04\x14\0\0\0', 'latin1'), 'zip'],
    ['mp4', ftyp('isom', 'isom', 'mp42'), 'video'],
    ['binary noise', Buffer.from([0x00, 0x13, 0x88, 0xfe, 0x01, 0x02, 0x90, 0x00]), 'unknown'],
  ];

  it.each(cases)('names %s', (_label, bytes, detected) => {
    const description = describeUnsupported(bytes);
    expect(description.detected).toBe(detected);
    expect(description.reasonCode).toBe(detected === 'empty' ? 'empty_file' : 'unsupported_type');
    // A full sentence a person can read, that says what to do.
    expect(description.reason).toMatch(/^[A-Z].*\.$/);
    expect(description.reason.length).toBeGreaterThan(20);
  });

  it('tells the user which formats are accepted', () => {
    expect(describeUnsupported(Buffer.from('%PDF-1.4')).reason).toMatch(/PDF.*JPEG, PNG, WebP or HEIC/);
  });
});
