import { boundaryOf, MultipartDataOffsets } from '../src/items/upload/multipart-offsets';

const B = 'spx-Boundary_42';

/** A body whose parts' data start where `starts` says, built the way clients frame it. */
function body(parts: { headers: string; data: string }[], opts: { preamble?: string; ending?: string } = {}) {
  let text = opts.preamble ? `${opts.preamble}\r\n` : '';
  const starts: number[] = [];
  parts.forEach((p, i) => {
    text += `${i === 0 ? '' : '\r\n'}--${B}\r\n${p.headers}\r\n`;
    starts.push(Buffer.byteLength(text));
    text += p.data;
  });
  text += `\r\n--${B}--${opts.ending ?? '\r\n'}`;
  return { bytes: Buffer.from(text), starts };
}

function scan(bytes: Buffer, chunkSize: number, boundary = B): MultipartDataOffsets {
  const offsets = new MultipartDataOffsets(boundary);
  for (let at = 0; at < bytes.length; at += chunkSize) offsets.push(bytes.subarray(at, at + chunkSize));
  return offsets;
}

describe('MultipartDataOffsets', () => {
  const parts = [
    { headers: 'Content-Disposition: form-data; name="caption"\r\n', data: 'rack A' },
    { headers: 'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n', data: '\r\n--not-it\r\n\r\n' + 'x'.repeat(5000) },
    { headers: '', data: 'a part with no headers at all' },
    { headers: 'Content-Disposition: form-data; name="file"; filename="b.jpg"\r\n', data: 'y'.repeat(777) },
  ];

  it.each([1, 2, 3, 7, 64, 1000, 100_000])('finds where every part\'s data starts, fed %i bytes at a time', (chunkSize) => {
    const { bytes, starts } = body(parts, { preamble: 'ignored preamble text' });
    const offsets = scan(bytes, chunkSize);
    expect(starts.map((_, i) => offsets.dataStart(i))).toEqual(starts);
    expect(offsets.dataStart(starts.length)).toBeUndefined();
  });

  it.each([
    ['with the usual final CRLF', '\r\n', 779],
    ['without it (RFC 2046 makes it optional)', '', 777],
    ['with an epilogue', '\r\nthat was all\r\n', 779 + 'that was all\r\n'.length],
  ])("bounds the last part's length from the body's length, ended %s", (_label, ending, bound) => {
    const { bytes } = body(parts, { ending });
    const offsets = scan(bytes, 4096);
    const lengthBound = bytes.length - offsets.dataStart(3)! - offsets.shortestClosingLength;
    expect(lengthBound).toBe(bound);
    expect(lengthBound).toBeGreaterThanOrEqual(777);
  });

  it('stops at the closing delimiter: nothing after it (an epilogue that looks like a part) counts', () => {
    const { bytes, starts } = body(parts.slice(0, 2), { ending: `\r\n--${B}\r\nContent-Type: text/plain\r\n\r\nepilogue` });
    const offsets = scan(bytes, 10);
    expect([offsets.dataStart(0), offsets.dataStart(1), offsets.dataStart(2)]).toEqual([...starts, undefined]);
  });

  it('reads the boundary from a Content-Type, quoted or not, and nothing from one without it', () => {
    expect(boundaryOf(`multipart/form-data; boundary=${B}`)).toBe(B);
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
    expect(boundaryOf(undefined)).toBeUndefined();
  });
});
