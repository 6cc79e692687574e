import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

// Chunk i: its index in the first four bytes, then a fill that varies between chunks, so a
// dropped, repeated or reordered chunk changes the hash.
function patternChunk(index: number, size: number): Buffer {
  const chunk = Buffer.alloc(size, index % 251);
  if (size >= 4) chunk.writeUInt32BE(index, 0);
  return chunk;
}

export interface PatternStream {
  stream: Readable;
  /** Bytes handed out so far: the stream makes each chunk only when it is read. */
  produced(): number;
}

/** A deterministic body of `totalBytes`, generated on demand so it never exists whole. */
export function patternStream(totalBytes: number): PatternStream {
  let produced = 0;
  let index = 0;
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const size = Math.min(CHUNK, totalBytes - produced);
      produced += size;
      this.push(patternChunk(index++, size));
    },
  });
  return { stream, produced: () => produced };
}

/** SHA-256 (hex) of what patternStream(totalBytes) yields, computed chunk by chunk. */
export function patternSha256(totalBytes: number): string {
  const hash = createHash('sha256');
  for (let done = 0, i = 0; done < totalBytes; i++) {
    const size = Math.min(CHUNK, totalBytes - done);
    hash.update(patternChunk(i, size));
    done += size;
  }
  return hash.digest('hex');
}
