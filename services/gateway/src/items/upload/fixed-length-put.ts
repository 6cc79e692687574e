import { PassThrough } from 'node:stream';
import type { ObjectStore } from '@sessionpix/storage';

/**
 * A PutObject started before the body's length is certain: S3 needs the length up front, and a
 * multipart upload (the alternative for unknown lengths) costs a round of copying on the
 * server. The length is a guess; the caller keeps its own copy of the bytes and falls back to it
 * when the guess turns out wrong.
 *
 * The latest chunk is always held back until the next one (or the end) arrives, so S3 never
 * receives the full announced length unless the body really has exactly that many bytes: a wrong
 * guess can only end in an aborted request, which stores nothing, never in a truncated object.
 */
export class SpeculativePut {
  private readonly body = new PassThrough({ highWaterMark: 256 * 1024 });
  private readonly abort = new AbortController();
  private readonly outcome: Promise<Error | undefined>;
  private held: Buffer | undefined;
  private failed = false;

  constructor(store: ObjectStore, key: string, contentType: string, readonly length: number) {
    // The request's own failure is reported through `outcome`; writes after it are moot.
    this.body.on('error', () => undefined);
    this.outcome = store
      .putObject(key, this.body, { contentType, contentLength: length, abortSignal: this.abort.signal })
      .then(
        () => undefined,
        (err: unknown) => {
          this.failed = true;
          return err instanceof Error ? err : new Error(String(err));
        },
      );
  }

  /** False once the guess is known wrong (`total` bytes so far) or S3 failed: stop offering. */
  async offer(chunk: Buffer, total: number): Promise<boolean> {
    if (this.failed || total > this.length) {
      await this.abandon();
      return false;
    }
    if (this.held) await this.write(this.held);
    this.held = chunk;
    return !this.failed;
  }

  /** Sends the rest when the body had exactly the guessed length; true once S3 has stored it. */
  async finish(total: number): Promise<boolean> {
    if (this.failed || total !== this.length) {
      await this.abandon();
      return false;
    }
    if (this.held) await this.write(this.held);
    this.held = undefined;
    this.body.end();
    return (await this.outcome) === undefined;
  }

  /** Gives up the request; resolves once the SDK has let go of it. */
  async abandon(): Promise<void> {
    this.failed = true;
    this.abort.abort();
    this.body.destroy();
    await this.outcome;
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.body.write(chunk)) return;
    let onDrain: (() => void) | undefined;
    await Promise.race([new Promise<void>((resolve) => this.body.once('drain', (onDrain = resolve))), this.outcome]);
    if (onDrain) this.body.off('drain', onDrain);
  }
}
