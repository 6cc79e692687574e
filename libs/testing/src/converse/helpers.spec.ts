import { describe, expect, it } from 'vitest';
import { CannotDeriveError, minimalInstance } from './default-answer';
import { fakeJpeg, tinyPng } from './fixtures';
import { readImageSize } from './image-size';

describe('readImageSize', () => {
  it('reads JPEG dimensions from the frame header', () => {
    expect(readImageSize(fakeJpeg(1600, 1200, { exif: true }))).toEqual({ width: 1600, height: 1200 });
  });

  it('reads PNG dimensions from IHDR', () => {
    expect(readImageSize(tinyPng(7, 5))).toEqual({ width: 7, height: 5 });
  });

  it('reads WebP (lossy, lossless, extended) dimensions', () => {
    const lossy = Buffer.alloc(30);
    lossy.write('RIFF', 0, 'latin1');
    lossy.write('WEBPVP8 ', 8, 'latin1');
    lossy.writeUInt16LE(800, 26);
    lossy.writeUInt16LE(600, 28);
    expect(readImageSize(lossy)).toEqual({ width: 800, height: 600 });

    const lossless = Buffer.alloc(30);
    lossless.write('RIFF', 0, 'latin1');
    lossless.write('WEBPVP8L', 8, 'latin1');
    lossless.writeUInt32LE((640 - 1) | ((480 - 1) << 14), 21);
    expect(readImageSize(lossless)).toEqual({ width: 640, height: 480 });

    const extended = Buffer.alloc(30);
    extended.write('RIFF', 0, 'latin1');
    extended.write('WEBPVP8X', 8, 'latin1');
    extended.writeUIntLE(4000 - 1, 24, 3);
    extended.writeUIntLE(3000 - 1, 27, 3);
    expect(readImageSize(extended)).toEqual({ width: 4000, height: 3000 });
  });

  it('returns null for bytes it does not recognise', () => {
    expect(readImageSize(Buffer.from('not an image at all, just text'))).toBeNull();
  });
});

describe('minimalInstance', () => {
  it('builds the smallest valid value, following $ref, enums, nullables and minimums', () => {
    const schema = {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['knob', 'fader'] },
        n: { type: 'integer', minimum: 1 },
        x: { type: 'number', exclusiveMinimum: 0 },
        serial: { anyOf: [{ type: 'object' }, { type: 'null' }] },
        tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 1 },
        optional: { type: 'string' },
      },
      required: ['kind', 'n', 'x', 'serial', 'tags'],
      $defs: { tag: { type: 'string', minLength: 2 } },
    };
    expect(minimalInstance(schema)).toEqual({ kind: 'knob', n: 1, x: 1e-6, serial: null, tags: ['xx'] });
  });

  it('refuses to guess a string that must match a pattern', () => {
    expect(() => minimalInstance({ type: 'string', pattern: '^\\d:\\d\\d$' })).toThrow(CannotDeriveError);
  });
});
