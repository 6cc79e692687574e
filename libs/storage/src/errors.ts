/** Base of every error the object store throws; S3 details are kept, but the message reads. */
export class StorageError extends Error {
  readonly code: string;
  readonly operation: string;
  readonly key?: string;
  readonly httpStatus?: number;
  /** True for throttling, 5xx and network failures: the same call may succeed later. */
  readonly retryable: boolean;

  constructor(
    message: string,
    details: { code: string; operation: string; key?: string; httpStatus?: number; retryable?: boolean; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.operation = details.operation;
    this.key = details.key;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable ?? false;
  }
}

export class ObjectNotFoundError extends StorageError {
  constructor(operation: string, key: string, cause?: unknown) {
    super(`No object at "${key}" (${operation})`, { code: 'NoSuchKey', operation, key, httpStatus: 404, cause });
  }
}

export class BucketNotFoundError extends StorageError {
  constructor(operation: string, readonly bucket: string, cause?: unknown) {
    super(`Bucket "${bucket}" does not exist or is not visible to these credentials (${operation})`, {
      code: 'NoSuchBucket',
      operation,
      httpStatus: 404,
      cause,
    });
  }
}

export class StorageAccessDeniedError extends StorageError {
  constructor(operation: string, key: string | undefined, cause?: unknown) {
    super(`Access denied by S3 for ${operation}${key ? ` of "${key}"` : ''}: check the role's policy and the bucket's KMS key`, {
      code: 'AccessDenied',
      operation,
      key,
      httpStatus: 403,
      cause,
    });
  }
}

/** A body over the caller's limit; nothing is left stored under the key. */
export class PayloadTooLargeError extends StorageError {
  constructor(readonly limitBytes: number, key?: string, operation = 'Upload') {
    super(`The body exceeds the limit of ${limitBytes} bytes`, {
      code: 'PayloadTooLarge',
      operation,
      key,
      httpStatus: 413,
    });
  }
}

/** A key, prefix or id that would not name what the caller meant (path tricks, non-UUIDs). */
export class InvalidObjectKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidObjectKeyError';
  }
}

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const RETRYABLE_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'ThrottlingException',
  'TimeoutError',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Turns whatever the SDK threw into one of the typed errors above. */
export function toStorageError(err: unknown, operation: string, bucket: string, key?: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? 'Unknown');

  if (code === 'NoSuchBucket') return new BucketNotFoundError(operation, bucket, err);
  if (code === 'NoSuchKey' || (status === 404 && key !== undefined)) return new ObjectNotFoundError(operation, key ?? '', err);
  if (status === 404) return new BucketNotFoundError(operation, bucket, err);
  if (code === 'AccessDenied' || status === 403) return new StorageAccessDeniedError(operation, key, err);

  const retryable =
    Boolean(e.$retryable) || RETRYABLE_CODES.has(code) || status === 429 || (status !== undefined && status >= 500);
  const where = key ? ` of "${key}"` : ` on bucket "${bucket}"`;
  const http = status ? ` (HTTP ${status})` : '';
  const detail = e.message && e.message !== code ? `: ${e.message}` : '';
  return new StorageError(`S3 ${operation}${where} failed with ${code}${http}${detail}`, {
    code,
    operation,
    key,
    httpStatus: status,
    retryable,
    cause: err,
  });
}
