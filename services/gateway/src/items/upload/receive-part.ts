import type { Readable } from 'node:stream';
import { type ObjectStore, PayloadTooLargeError } from '@sessionpix/storage';
import { SpeculativePut } from './speculative-put';
import { SpoolFile } from './spool-file';

export interface ReceivePartOptions {
  key: string;
  contentType: string;
  /** Larger parts are refused with PayloadTooLargeError and leave nothing stored. */
  maxBytes: number;
  /** The part's length if it is the request's last one: it then goes to S3 while it arrives. */
  lengthIfLast?: number;
  spoolDir: string;
}

export interface ReceivedPart {
  bytes: number;
  /** Whether a PutObject of `lengthIfLast` bytes was started while the part arrived. */
  speculated: boolean;
  /** Whether the part had exactly `lengthIfLast` bytes. */
  guessedRight: boolean;
  /** Settles once the object is in S3 (or could not be put there); the local copy is gone either way. */
  stored: Promise<void>;
}

/**
 * Reads one multipart file part to its end, metering it, with a copy on local disk. (Ingest
 * hashes what it reads for dedupe, presigned uploads included, so the gateway does not.)
 * When the part's length can be guessed it is sent to S3 at the same time, as one PutObject;
 * otherwise (or when the guess was wrong, or S3 failed mid-way) it is put from the local copy
 * afterwards, which the caller may let run while it reads the request's next part.
 */
export async function receivePart(store: ObjectStore, source: Readable, opts: ReceivePartOptions): Promise<ReceivedPart> {
  const spool = SpoolFile.create(opts.spoolDir);
  const guess = opts.lengthIfLast;
  const speculative =
    guess !== undefined && guess > 0 && guess <= opts.maxBytes ? new SpeculativePut(store, opts.key, opts.contentType, guess) : undefined;
  let live = speculative;
  let bytes = 0;
  try {
    // Left undestroyed when this stops early: the caller decides whether the rest is discarded.
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      if (bytes > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes, opts.key);
      await spool.write(chunk);
      if (live && !(await live.offer(chunk, bytes))) live = undefined;
    }
    await spool.close();
  } catch (err) {
    await spool.remove();
    if (speculative) {
      await speculative.abandon();
      // S3 keeps nothing of an aborted PUT; an S3-compatible server might keep the fragment.
      await store.deleteObject(opts.key).catch(() => undefined);
    }
    throw err;
  }

  const putFromSpool = () =>
    store.putObject(opts.key, spool.read(), { contentType: opts.contentType, contentLength: bytes });
  const sentLive = live ? await live.finish(bytes) : false;
  const stored = sentLive
    ? spool.remove()
    : (async () => {
        try {
          // An abandoned request must have let go before the key is written again.
          await speculative?.abandon();
          await putFromSpool();
        } finally {
          await spool.remove();
        }
      })();
  return { bytes, speculated: speculative !== undefined, guessedRight: guess === bytes, stored };
}
