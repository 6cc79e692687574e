import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@nestjs/common';

/**
 * The SDK's own notes (for one, a warning on stderr each time a streamed PutObject is aborted,
 * which the gateway does on purpose) go to the structured log at debug level: every failure
 * they describe also reaches the caller as an error.
 */
const sdkNotes = new Logger('S3Client');
const SDK_LOGGER = {
  debug: () => undefined,
  info: () => undefined,
  warn: (...content: unknown[]) => sdkNotes.debug(content.map(String).join(' ')),
  error: (...content: unknown[]) => sdkNotes.debug(content.map(String).join(' ')),
};

export type ServerSideEncryptionMode = 'AES256' | 'aws:kms';

export interface ObjectStoreOptions {
  bucket: string;
  region: string;
  /** Only for S3-compatible stand-ins; AWS endpoints are derived from the region. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Requested on every write (policy P2). */
  sse: ServerSideEncryptionMode;
  /** Only with `aws:kms`; without it S3 uses the account's `aws/s3` key. */
  kmsKeyId?: string;
  /** Static keys for a stand-in. Leave unset in AWS: the default chain (IRSA, env) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Throws on combinations that would silently weaken P2 or break uploads. */
export function validateObjectStoreOptions(opts: ObjectStoreOptions): void {
  if (!opts.bucket) throw new TypeError('ObjectStoreOptions.bucket is required');
  if (!opts.region) throw new TypeError('ObjectStoreOptions.region is required');
  if (opts.sse !== 'AES256' && opts.sse !== 'aws:kms') {
    throw new TypeError(`ObjectStoreOptions.sse must be "AES256" or "aws:kms", got ${JSON.stringify(opts.sse)}`);
  }
  if (opts.kmsKeyId && opts.sse !== 'aws:kms') {
    throw new TypeError('ObjectStoreOptions.kmsKeyId is set but sse is not "aws:kms"');
  }
}

export function createS3Client(opts: ObjectStoreOptions): S3Client {
  validateObjectStoreOptions(opts);
  return new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle ?? false,
    credentials: opts.credentials,
    // The SDK's default sends stream bodies aws-chunked with a trailing CRC; s3rver stores that
    // framing as the object's bytes. Buffers stay covered by the signed x-amz-content-sha256,
    // and the gateway hashes every uploaded byte itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    logger: SDK_LOGGER,
  });
}

/** The subset of the app's validated config this store reads. */
export interface StorageConfigLike {
  S3_BUCKET?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL_S3?: string;
  S3_FORCE_PATH_STYLE?: boolean;
  S3_SSE: ServerSideEncryptionMode;
  S3_SSE_KMS_KEY_ID?: string;
}

export function objectStoreOptionsFromConfig(config: StorageConfigLike): ObjectStoreOptions {
  if (!config.S3_BUCKET || !config.AWS_REGION) {
    throw new TypeError('S3_BUCKET and AWS_REGION are required for the object store');
  }
  return {
    bucket: config.S3_BUCKET,
    region: config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL_S3,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? false,
    sse: config.S3_SSE,
    kmsKeyId: config.S3_SSE_KMS_KEY_ID,
  };
}
