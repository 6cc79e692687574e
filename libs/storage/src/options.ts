import { S3Client } from '@aws-sdk/client-s3';

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
  /** Tuning for `uploadStream`; see DEFAULT_UPLOAD_TUNING. */
  upload?: Partial<UploadTuning>;
}

export interface UploadTuning {
  /** Bodies up to this size go as one PutObject; larger ones as parts of this size. */
  partSizeBytes: number;
  /** Parts in flight at once; memory per upload is about (queueSize + 1) × partSizeBytes. */
  queueSize: number;
}

/**
 * 8 MiB parts, 2 in flight. Measured against s3rver, one PutObject beats a multipart upload
 * of the same bytes (s3rver writes parts, then copies them together), so most photos should go
 * in a single request: lib-storage does that whenever the body fits in one part. Larger bodies
 * stream in parts, holding at most ~24 MiB per upload instead of the whole file.
 */
export const DEFAULT_UPLOAD_TUNING: Readonly<UploadTuning> = { partSizeBytes: 8 * 1024 * 1024, queueSize: 2 };

const MIN_PART_SIZE = 5 * 1024 * 1024;

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
  const part = opts.upload?.partSizeBytes;
  if (part !== undefined && (!Number.isInteger(part) || part < MIN_PART_SIZE)) {
    throw new TypeError(`upload.partSizeBytes must be an integer of at least ${MIN_PART_SIZE} (S3's minimum part size)`);
  }
  const queue = opts.upload?.queueSize;
  if (queue !== undefined && (!Number.isInteger(queue) || queue < 1)) {
    throw new TypeError('upload.queueSize must be a positive integer');
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
    // framing as the object's bytes. Buffers and upload parts stay covered by the signed
    // x-amz-content-sha256, and uploadStream hashes every byte itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
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
