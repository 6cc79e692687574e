import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { PayloadTooLargeError } from './errors';

/**
 * Passes bytes through while counting and hashing them, and fails the stream the moment the
 * count passes the limit, before the offending chunk is handed on to be sent.
 */
export class ByteMeter extends Transform {
  bytes = 0;
  exceeded = false;
  private readonly hash = createHash('sha256');

  constructor(private readonly limitBytes: number, private readonly key?: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limitBytes) {
      this.exceeded = true;
      done(new PayloadTooLargeError(this.limitBytes, this.key));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Hex SHA-256 of everything passed; call once, after the stream has ended. */
  sha256Hex(): string {
    return this.hash.digest('hex');
  }
}
