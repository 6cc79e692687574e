import type { Readable } from 'node:stream';
import { type ObjectStore, PayloadTooLargeError } from '@sessionpix/storage';
import { uploadBoundedPart } from './bounded-part-upload';
import { readerOf } from './request-body-error';
import { SpoolFile } from './spool-file';

export interface ReceivePartOptions {
  key: string;
  contentType: string;
  /** Larger parts are refused with PayloadTooLargeError and leave nothing stored. */
  maxBytes: number;
  /**
   * An upper bound on the part's length: the part then goes to S3 while it arrives, in an object
   * of exactly this length, zero-padded past the part's end.
   */
  lengthBound?: number;
  spoolDir: string;
}

export interface ReceivedPart {
  /** The part's length. The object may be longer (zero padding after a bounded part): readers take this many bytes. */
  bytes: number;
  /** Settles once the object is in S3 (or could not be put there); nothing of the part is kept locally after. */
  stored: Promise<void>;
}

/**
 * Reads one multipart file part to its end, metering it, and stores it as one S3 object. (Ingest
 * hashes what it reads for dedupe, presigned uploads included, so the gateway does not.)
 * With a length bound the part streams to S3 as it arrives; without one it is copied to local
 * disk and put from there afterwards, which the caller may let run while it reads the next part.
 */
export async function receivePart(store: ObjectStore, source: Readable, opts: ReceivePartOptions): Promise<ReceivedPart> {
  const bound = opts.lengthBound;
  const received =
    bound !== undefined && bound > 0 && bound <= opts.maxBytes
      ? await uploadBoundedPart(store, source, { ...opts, bound })
      : await receiveSpooled(store, source, opts);
  // The caller attaches its own handlers later; until then a failure must not count as unhandled.
  received.stored.catch(() => undefined);
  return received;
}

async function receiveSpooled(store: ObjectStore, source: Readable, opts: ReceivePartOptions): Promise<ReceivedPart> {
  const spool = SpoolFile.create(opts.spoolDir);
  let bytes = 0;
  try {
    // Left undestroyed when this stops early: the caller decides whether the rest is discarded.
    const nextChunk = readerOf(source.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>);
    for (let chunk = await nextChunk(); chunk; chunk = await nextChunk()) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes, opts.key);
      await spool.write(chunk);
    }
    await spool.close();
  } catch (err) {
    await spool.remove();
    throw err;
  }
  const stored = (async () => {
    try {
      await store.putObject(opts.key, spool.read(), { contentType: opts.contentType, contentLength: bytes });
    } finally {
      await spool.remove();
    }
  })();
  return { bytes, stored };
}
