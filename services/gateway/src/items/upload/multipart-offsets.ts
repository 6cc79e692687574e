import type { IncomingMessage } from 'node:http';

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const CLOSE_MARK = Buffer.from('--');

/** The boundary parameter of a multipart Content-Type, unquoted; undefined when absent or malformed. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Watches the raw bytes of a multipart/form-data body go by and records where each part's data
 * begins (its absolute offset in the body). It only observes: the real parser still reads every
 * byte. With the request's Content-Length, the offset bounds how long the part can be, which lets
 * it go to S3 as one PutObject of that length (padded) while it is still arriving.
 *
 * Matches RFC 2046 framing the way the parser does: a delimiter is CRLF "--" boundary (the first
 * may open the body without the CRLF); a part's headers end at the first blank line after it.
 */
export class MultipartDataOffsets {
  /**
   * The fewest bytes that can follow the last part's data: CRLF "--" boundary "--" (the CRLF
   * clients usually add after it is optional, and an epilogue may follow).
   */
  readonly shortestClosingLength: number;
  private readonly delimiter: Buffer;
  private readonly starts: number[] = [];
  /** What the scan looks for next: a delimiter, the "--" that may follow one, or the end of a part's headers. */
  private state: 'delimiter' | 'afterDelimiter' | 'headers' | 'closed' = 'delimiter';
  /** Unmatched tail of what was seen, kept so a marker split across chunks is still found. */
  private carry: Buffer;
  /** Absolute offset (in the body) of carry[0]; starts at -2 for the virtual CRLF before the body. */
  private carryOffset = -CRLF.length;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.shortestClosingLength = this.delimiter.length + CLOSE_MARK.length;
    // A body may open with the delimiter directly ("--boundary"), so the scan starts as if a CRLF preceded it.
    this.carry = CRLF;
  }

  private detach: () => void = () => undefined;

  /** Starts observing `request`; call before anything pipes it, so this listener sees each chunk first. */
  static observe(request: IncomingMessage, boundary: string): MultipartDataOffsets {
    const offsets = new MultipartDataOffsets(boundary);
    const onData = (chunk: Buffer) => offsets.push(chunk);
    request.on('data', onData);
    offsets.detach = () => request.off('data', onData);
    request.once('end', offsets.detach);
    return offsets;
  }

  /** Stops observing: the offsets found so far stay readable, no further byte is scanned. */
  stop(): void {
    this.state = 'closed';
    this.carry = Buffer.alloc(0);
    this.detach();
  }

  /** Where the data of the part with this index (0-based, every part counted) begins, if seen yet. */
  dataStart(partIndex: number): number | undefined {
    return this.starts[partIndex];
  }

  push(chunk: Buffer): void {
    if (this.state === 'closed') return;
    // Positions below count from the start of carry + chunk, without copying the chunk.
    const seen = new Seam(this.carry, chunk);
    let at = 0;
    scan: for (;;) {
      switch (this.state) {
        case 'delimiter': {
          const found = seen.indexOf(this.delimiter, at);
          if (found < 0) break scan;
          at = found + this.delimiter.length;
          this.state = 'afterDelimiter';
          break;
        }
        case 'afterDelimiter':
          if (seen.length - at < CLOSE_MARK.length) break scan;
          if (seen.byteAt(at) === CLOSE_MARK[0] && seen.byteAt(at + 1) === CLOSE_MARK[1]) {
            this.state = 'closed';
            this.carry = Buffer.alloc(0);
            return;
          }
          this.state = 'headers';
          break;
        case 'headers': {
          // An empty header block is the delimiter line's own CRLF followed by a blank line, so
          // the search starts right after the boundary.
          const end = seen.indexOf(HEADERS_END, at);
          if (end < 0) break scan;
          at = end + HEADERS_END.length;
          this.starts.push(this.carryOffset + at);
          this.state = 'delimiter';
          break;
        }
        default:
          return;
      }
    }
    // Keep only what a marker cut by the chunk's end could still need.
    const keep =
      this.state === 'delimiter' ? this.delimiter.length - 1 : this.state === 'headers' ? HEADERS_END.length - 1 : seen.length - at;
    const from = Math.max(at, seen.length - keep);
    this.carryOffset += from;
    this.carry = seen.copyFrom(from);
  }
}

/** A short carried-over tail followed by a chunk, searched as one run of bytes without joining them. */
class Seam {
  readonly length: number;

  constructor(private readonly head: Buffer, private readonly tail: Buffer) {
    this.length = head.length + tail.length;
  }

  byteAt(i: number): number {
    return i < this.head.length ? this.head[i]! : this.tail[i - this.head.length]!;
  }

  indexOf(needle: Buffer, from: number): number {
    if (from < this.head.length) {
      // A match starting in the head ends within the tail's first needle.length - 1 bytes.
      const joined = Buffer.concat([this.head.subarray(from), this.tail.subarray(0, needle.length - 1)]);
      const found = joined.indexOf(needle);
      if (found >= 0) return from + found;
      from = this.head.length;
    }
    const found = this.tail.indexOf(needle, from - this.head.length);
    return found < 0 ? -1 : found + this.head.length;
  }

  copyFrom(from: number): Buffer {
    if (from >= this.head.length) return Buffer.from(this.tail.subarray(from - this.head.length));
    return Buffer.concat([this.head.subarray(from), this.tail]);
  }
}
