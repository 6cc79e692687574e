import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import type { SseParams } from './sse';

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** Served as the response's Content-Type (S3 `response-content-type`). */
  responseContentType?: string;
}

export interface PresignPutOptions {
  expiresInSeconds: number;
  contentType: string;
  /** Exact size of the body the client will send. */
  contentLength: number;
}

/**
 * A presigned PUT and the headers it is bound to.
 *
 * The signature covers `host`, `content-type`, `content-length` and the SSE headers. A client
 * must PUT to `url` a body of exactly `contentLength` bytes with every entry of `headers` at
 * exactly these values (fetch and browsers derive content-length from the body themselves and
 * may omit it from `headers`). S3 answers 403 SignatureDoesNotMatch to another type, another
 * size, or a missing SSE header, so a presigned upload cannot land unencrypted, retyped or
 * larger than the gateway approved. Until `expiresAt` the URL can be reused; each use overwrites.
 */
export interface PresignedPut {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: Date;
}

const MAX_EXPIRY_SECONDS = 7 * 24 * 3600; // SigV4's ceiling
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

export async function presignGetUrl(
  client: S3Client,
  bucket: string,
  key: string,
  opts: PresignGetOptions,
): Promise<string> {
  const expiresIn = checkExpiry(opts.expiresInSeconds);
  const command = new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentType: opts.responseContentType });
  return getSignedUrl(client, command, { expiresIn });
}

export async function presignPutUrl(
  client: S3Client,
  bucket: string,
  key: string,
  sse: SseParams,
  opts: PresignPutOptions,
  now: () => number = Date.now,
): Promise<PresignedPut> {
  const expiresIn = checkExpiry(opts.expiresInSeconds);
  if (!Number.isInteger(opts.contentLength) || opts.contentLength < 0 || opts.contentLength > MAX_SINGLE_PUT_BYTES) {
    throw new RangeError(`contentLength must be an integer between 0 and ${MAX_SINGLE_PUT_BYTES}`);
  }
  if (!opts.contentType) throw new TypeError('contentType is required');

  const signedAt = now();
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    ContentType: opts.contentType,
    ContentLength: opts.contentLength,
    ...sse,
  });
  const url = await getSignedUrl(client, command, {
    expiresIn,
    signingDate: new Date(signedAt),
    // The presigner leaves content-type unsigned by default; binding it (and the length) stops a
    // client from storing another type or size than the one the gateway approved. The SSE
    // headers are kept as signed headers (not query parameters) by the presigner itself.
    signableHeaders: new Set(['content-type', 'content-length']),
  });

  const headers: Record<string, string> = {
    'content-type': opts.contentType,
    'content-length': String(opts.contentLength),
    'x-amz-server-side-encryption': sse.ServerSideEncryption,
  };
  if (sse.SSEKMSKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = sse.SSEKMSKeyId;
  return { url, method: 'PUT', headers, expiresAt: new Date(signedAt + expiresIn * 1000) };
}

function checkExpiry(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_EXPIRY_SECONDS) {
    throw new RangeError(`expiresInSeconds must be an integer between 1 and ${MAX_EXPIRY_SECONDS}`);
  }
  return seconds;
}
