import { PassThrough } from 'node:stream';
import type { ObjectStore } from '@sessionpix/storage';

/** Reused for every padding write: written, never changed. */
const ZEROS = Buffer.alloc(256 * 1024);

/**
 * A PutObject whose length is fixed before the body is known: S3 needs the length up front, and
 * a multipart upload (the alternative for unknown lengths) costs a round of copying on the
 * server. The length is an upper bound on the body; the body is sent as it arrives and zero
 * padding fills the rest, so the object's first `bytes` bytes are the body.
 *
 * The latest chunk is always held back until the next one (or the end) arrives, so S3 never
 * receives the full length before the body is known to be complete: a body that fails part-way
 * can only end in an aborted request, which stores nothing, never in a truncated object.
 */
export class FixedLengthPut {
  private readonly body = new PassThrough({ highWaterMark: 256 * 1024 });
  private readonly abort = new AbortController();
  private readonly outcome: Promise<Error | undefined>;
  private held: Buffer | undefined;
  private sent = 0;

  constructor(store: ObjectStore, key: string, contentType: string, readonly length: number) {
    // The request's own failure is reported through `outcome`; writes after it are moot.
    this.body.on('error', () => undefined);
    this.outcome = store
      .putObject(key, this.body, { contentType, contentLength: length, abortSignal: this.abort.signal })
      .then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
  }

  /** Sends the previous chunk and holds this one; throws S3's error once the request has failed. */
  async write(chunk: Buffer): Promise<void> {
    if (this.sent + (this.held?.length ?? 0) + chunk.length > this.length) {
      throw new RangeError(`the body is longer than the ${this.length} bytes announced`);
    }
    if (this.held) await this.send(this.held);
    this.held = chunk;
  }

  /** The body is complete: sends the held chunk and the padding; resolves once S3 has stored the object. */
  async finish(): Promise<void> {
    if (this.held) await this.send(this.held);
    this.held = undefined;
    while (this.sent < this.length) await this.send(ZEROS.subarray(0, Math.min(ZEROS.length, this.length - this.sent)));
    this.body.end();
    const failure = await this.outcome;
    if (failure) throw failure;
  }

  /** Gives up the request; resolves once the SDK has let go of it. */
  async abandon(): Promise<void> {
    this.abort.abort();
    this.body.destroy();
    await this.outcome;
  }

  private async send(chunk: Buffer): Promise<void> {
    this.sent += chunk.length;
    if (this.body.write(chunk)) return;
    let onDrain: (() => void) | undefined;
    const failure = await Promise.race([
      new Promise<undefined>((resolve) => this.body.once('drain', (onDrain = () => resolve(undefined)))),
      this.outcome,
    ]);
    if (onDrain) this.body.off('drain', onDrain);
    if (failure) throw failure;
  }
}
