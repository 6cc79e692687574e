import { Readable } from 'node:stream';

import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

import { PayloadTooLargeError, StorageError, toStorageError } from './errors';
import { assertObjectKey, assertPrefix } from './keys';
import { createS3Client, validateObjectStoreOptions, type ObjectStoreOptions } from './options';
import { presignGetUrl, presignPutUrl, type PresignedPut, type PresignGetOptions, type PresignPutOptions } from './presign';
import { sseParams, type SseParams } from './sse';

export interface PutOptions {
  contentType: string;
  /** Required for a stream body: S3 will not take a PutObject of unknown length. */
  contentLength?: number;
  /** Aborts the request; S3 stores nothing of an aborted PutObject. */
  abortSignal?: AbortSignal;
}

export interface ObjectInfo {
  key: string;
  contentLength: number;
  contentType?: string;
  etag?: string;
  lastModified?: Date;
  /** As reported by S3; S3-compatible stand-ins may not report it. */
  serverSideEncryption?: string;
}

export interface ObjectStream {
  body: Readable;
  contentLength?: number;
  contentType?: string;
  etag?: string;
}

const DELETE_BATCH = 1000; // DeleteObjects' per-request maximum

/**
 * The S3 object store used by the services. Every write requests server-side encryption
 * (policy P2); every S3 failure surfaces as a StorageError subclass.
 */
export class ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;
  private readonly sse: SseParams;
  private readonly ownsClient: boolean;

  /** Pass `client` to share one S3Client; otherwise the store makes (and owns) its own. */
  constructor(opts: ObjectStoreOptions, client?: S3Client) {
    validateObjectStoreOptions(opts);
    this.bucket = opts.bucket;
    this.sse = sseParams(opts);
    this.client = client ?? createS3Client(opts);
    this.ownsClient = client === undefined;
  }

  async putObject(key: string, body: Buffer | Readable, opts: PutOptions): Promise<{ etag?: string }> {
    assertObjectKey(key);
    let length = opts.contentLength;
    if (Buffer.isBuffer(body)) {
      if (length !== undefined && length !== body.length) {
        throw new RangeError(`contentLength ${length} does not match the buffer's ${body.length} bytes`);
      }
      length = body.length;
    } else if (length === undefined) {
      throw new TypeError('putObject needs contentLength for a stream body: S3 takes no PutObject of unknown length');
    }
    const out = await this.send('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: opts.contentType,
          ContentLength: length,
          ...this.sse,
        }),
        { abortSignal: opts.abortSignal },
      ),
    );
    return { etag: out.ETag };
  }

  /**
   * Reads a whole object (or only its first `firstBytes` bytes), refusing more than `maxBytes`
   * before buffering them.
   */
  async getObjectBuffer(key: string, opts: { maxBytes: number; firstBytes?: number }): Promise<Buffer> {
    checkMaxBytes(opts.maxBytes);
    const first = opts.firstBytes;
    if (first !== undefined && (!Number.isSafeInteger(first) || first < 1)) {
      throw new RangeError(`firstBytes must be a positive integer, got ${first}`);
    }
    const { body, contentLength } = await this.getObjectStream(key, first === undefined ? undefined : `bytes=0-${first - 1}`);
    if (contentLength !== undefined && contentLength > opts.maxBytes) {
      body.destroy();
      throw new PayloadTooLargeError(opts.maxBytes, key, 'GetObject');
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes, key, 'GetObject');
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      body.destroy();
      throw err instanceof StorageError ? err : toStorageError(err, 'GetObject', this.bucket, key);
    }
    return Buffer.concat(chunks, total);
  }

  /** `range` is an HTTP Range header value (`bytes=first-last`). */
  async getObjectStream(key: string, range?: string): Promise<ObjectStream> {
    assertObjectKey(key);
    const out = await this.send('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range })),
    );
    if (!(out.Body instanceof Readable)) {
      throw new StorageError(`S3 GetObject of "${key}" returned no readable body`, { code: 'NoBody', operation: 'GetObject', key });
    }
    return { body: out.Body, contentLength: out.ContentLength, contentType: out.ContentType, etag: out.ETag };
  }

  /** Metadata of an object, or null when there is none. */
  async headObject(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        contentLength: out.ContentLength ?? 0,
        contentType: out.ContentType,
        etag: out.ETag,
        lastModified: out.LastModified,
        serverSideEncryption: out.ServerSideEncryption,
      };
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw toStorageError(err, 'HeadObject', this.bucket, key);
    }
  }

  /** Server-side copy within the bucket; the copy gets its own SSE request (P2). */
  async copyObject(sourceKey: string, destinationKey: string): Promise<void> {
    assertObjectKey(sourceKey);
    assertObjectKey(destinationKey);
    const copySource = `${this.bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
    await this.send('CopyObject', destinationKey, () =>
      this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: destinationKey, CopySource: copySource, ...this.sse }),
      ),
    );
  }

  /** Idempotent: deleting a missing key succeeds. */
  async deleteObject(key: string): Promise<void> {
    assertObjectKey(key);
    await this.send('DeleteObject', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /** Deletes every object under `prefix` (which must end in "/") and returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    assertPrefix(prefix);
    let deleted = 0;
    for await (const keys of this.pagesOfKeys(prefix)) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        const out = await this.send('DeleteObjects', undefined, () =>
          this.client.send(
            new DeleteObjectsCommand({
              Bucket: this.bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        const errors = out.Errors ?? [];
        deleted += batch.length - errors.length;
        if (errors.length > 0) {
          const sample = errors.slice(0, 3).map((e) => `${e.Key}: ${e.Code}`).join(', ');
          throw new StorageError(
            `S3 DeleteObjects under "${prefix}" failed for ${errors.length} object(s) (${sample}); ${deleted} deleted`,
            { code: errors[0]?.Code ?? 'DeleteFailed', operation: 'DeleteObjects', key: prefix, retryable: true },
          );
        }
      }
    }
    return deleted;
  }

  async listKeys(prefix: string): Promise<string[]> {
    assertPrefix(prefix);
    const all: string[] = [];
    for await (const keys of this.pagesOfKeys(prefix)) all.push(...keys);
    return all;
  }

  presignGet(key: string, opts: PresignGetOptions): Promise<string> {
    assertObjectKey(key);
    return presignGetUrl(this.client, this.bucket, key, opts);
  }

  /** See PresignedPut for exactly what the client must send. */
  presignPut(key: string, opts: PresignPutOptions): Promise<PresignedPut> {
    assertObjectKey(key);
    return presignPutUrl(this.client, this.bucket, key, this.sse, opts);
  }

  /** Readiness: the bucket exists and these credentials can reach it. */
  async ping(): Promise<void> {
    await this.send('HeadBucket', undefined, () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  /** Closes the client's sockets if this store created the client. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private async *pagesOfKeys(prefix: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const page = await this.send('ListObjectsV2', undefined, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      if (keys.length > 0) yield keys;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async send<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStorageError(err, operation, this.bucket, key);
    }
  }
}

function checkMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('maxBytes must be a non-negative integer');
}

export function createObjectStore(opts: ObjectStoreOptions): ObjectStore {
  return new ObjectStore(opts);
}
