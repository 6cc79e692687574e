import { Readable } from 'node:stream';
import { type ObjectStore, PayloadTooLargeError } from '@sessionpix/storage';
import type { ReceivedPart } from './receive-part';
import { RequestBodyError } from './request-body-error';

/** Reused for every padding chunk: pushed, never changed. */
const ZEROS = Buffer.alloc(256 * 1024);
/** What may wait in memory for S3 to take it: the client is slowed down beyond this. */
const BODY_HIGH_WATER_MARK = 256 * 1024;

export interface BoundedPart {
  key: string;
  contentType: string;
  /** Larger parts are refused with PayloadTooLargeError. */
  maxBytes: number;
  /** The longest the part can be; the object is exactly this long. */
  bound: number;
}

/**
 * Streams one multipart part to S3 as it arrives, as a PutObject whose length is fixed before the
 * part's is known: S3 needs the length up front, and a multipart upload (the alternative for
 * unknown lengths) costs a round of copying on the server. The length is an upper bound on the
 * part; zero padding fills the object past the part's end.
 *
 * Event-driven, with nothing awaited per chunk: the source is paused while S3 is behind and
 * resumed when it asks for more. The latest chunk is always held back until the next one (or the
 * end) arrives, so S3 never receives the full length before the part is known to be complete: a
 * part that fails can only end in an aborted request, which stores nothing.
 *
 * Resolves once the part has arrived (the padding may still be on its way: see `stored`);
 * rejects, with nothing stored, when the part is over `maxBytes`, runs past `bound` (the body
 * does not end with its closing boundary), cannot be read, or S3 fails before it has arrived.
 * The source is left paused and undestroyed then: the caller decides whether the rest is read.
 */
export function uploadBoundedPart(store: ObjectStore, source: Readable, part: BoundedPart): Promise<ReceivedPart> {
  return new BoundedPartUpload(store, source, part).arrived;
}

class BoundedPartUpload {
  readonly arrived: Promise<ReceivedPart>;
  private resolveArrived!: (part: ReceivedPart) => void;
  private rejectArrived!: (err: unknown) => void;
  private readonly abort = new AbortController();
  private readonly body: Readable;
  /** The PutObject's failure, or undefined once S3 has stored the object. */
  private readonly outcome: Promise<Error | undefined>;
  private held: Buffer | undefined;
  private bytes = 0;
  private pushed = 0;
  /** The part is complete: what the body still needs is padding. */
  private partEnded = false;
  private endPushed = false;
  /** Arrived or failed: later events change nothing. */
  private settled = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly source: Readable,
    private readonly part: BoundedPart,
  ) {
    this.arrived = new Promise((resolve, reject) => {
      this.resolveArrived = resolve;
      this.rejectArrived = reject;
    });
    this.body = new Readable({ highWaterMark: BODY_HIGH_WATER_MARK, read: () => this.fill() });
    // The request's own failure is reported through `outcome`.
    this.body.on('error', () => undefined);
    this.outcome = store
      .putObject(part.key, this.body, { contentType: part.contentType, contentLength: part.bound, abortSignal: this.abort.signal })
      .then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
    void this.outcome.then((failure) => failure && this.fail(failure));
    // Stays after the others are removed: an error the source emits later must not crash the process.
    source.on('error', () => undefined);
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    source.once('error', this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    if (this.bytes > this.part.maxBytes) return this.fail(new PayloadTooLargeError(this.part.maxBytes, this.part.key));
    if (this.bytes > this.part.bound) {
      return this.fail(new RequestBodyError('the multipart body does not end with its closing boundary: a part runs past where it must begin'));
    }
    const previous = this.held;
    this.held = chunk;
    if (previous && !this.push(previous)) this.source.pause();
  };

  private readonly onError = (err: unknown): void => this.fail(RequestBodyError.fromParser(err));

  private readonly onEnd = (): void => {
    this.detach();
    if (this.settled) return;
    this.settled = true;
    this.partEnded = true;
    if (this.bytes === 0) {
      // Nothing to pad: an empty object says the same without sending the whole bound.
      this.resolveArrived({ bytes: 0, stored: this.storeEmpty() });
      return;
    }
    this.resolveArrived({ bytes: this.bytes, stored: this.finish() });
  };

  /** Sends the held chunk and the padding; resolves once S3 has stored the object. */
  private async finish(): Promise<void> {
    const last = this.held;
    this.held = undefined;
    if (!last || this.push(last)) this.fill();
    const failure = await this.outcome;
    if (failure) throw failure;
  }

  private async storeEmpty(): Promise<void> {
    await this.giveUp();
    await this.store.putObject(this.part.key, Buffer.alloc(0), { contentType: this.part.contentType, contentLength: 0 });
  }

  /** The body wants more: more of the part, or, once it has all come, padding and the end. */
  private fill(): void {
    if (!this.partEnded) {
      this.source.resume();
      return;
    }
    while (this.pushed < this.part.bound) {
      if (!this.push(ZEROS.subarray(0, Math.min(ZEROS.length, this.part.bound - this.pushed)))) return;
    }
    if (!this.endPushed) {
      this.endPushed = true;
      this.body.push(null);
    }
  }

  private push(chunk: Buffer): boolean {
    this.pushed += chunk.length;
    return this.body.push(chunk);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    void (async () => {
      await this.giveUp();
      // S3 keeps nothing of an aborted PUT; an S3-compatible server might keep the fragment.
      await this.store.deleteObject(this.part.key).catch(() => undefined);
      this.rejectArrived(err);
    })();
  }

  /** Aborts the PutObject; resolves once the SDK has let go of it. */
  private async giveUp(): Promise<void> {
    this.abort.abort();
    this.body.destroy();
    await this.outcome;
  }

  private detach(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onError);
    this.source.pause();
  }
}
