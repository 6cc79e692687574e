/**
 * Why an upload cannot become a master image. These codes end up on the item row
 * (`status = rejected`), so they are part of the product's vocabulary: add, never rename.
 */
export type ImageRejectReasonCode =
  | 'empty_file'
  | 'unsupported_type'
  | 'corrupt_image'
  | 'too_many_pixels'
  | 'invalid_dimensions';

const REASON_CODES: ReadonlySet<string> = new Set<ImageRejectReasonCode>([
  'empty_file',
  'unsupported_type',
  'corrupt_image',
  'too_many_pixels',
  'invalid_dimensions',
]);

export function isImageRejectReasonCode(value: unknown): value is ImageRejectReasonCode {
  return typeof value === 'string' && REASON_CODES.has(value);
}

/**
 * The upload itself is unusable: retrying cannot help, so the caller marks the item
 * `rejected` and shows `reason` to the user. Anything else thrown by this module is an
 * internal failure and may be retried.
 */
export class ImageRejectedError extends Error {
  override readonly name = 'ImageRejectedError';
  readonly retryable = false;

  constructor(
    readonly reasonCode: ImageRejectReasonCode,
    /** One or two plain English sentences, safe to show to the person who uploaded the file. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${reasonCode}: ${reason}`, options);
  }
}

export function isImageRejectedError(err: unknown): err is ImageRejectedError {
  return err instanceof ImageRejectedError;
}

/** Shorthand used by the header parsers, where every failure means the same thing. */
export function corrupt(detail: string): ImageRejectedError {
  return new ImageRejectedError(
    'corrupt_image',
    `The file looks like an image but could not be read (${detail}). It may be damaged or only partly uploaded.`,
  );
}

export type ImageWorkerErrorCode = 'worker_crashed' | 'timeout' | 'pool_closed' | 'worker_failed';

/**
 * The image could not be processed for a reason that is not the upload's fault (a thread
 * died, a time limit passed, the pool shut down, or an internal error in the thread).
 * The item should be failed as retryable, not rejected.
 */
export class ImageWorkerError extends Error {
  override readonly name = 'ImageWorkerError';
  readonly retryable = true;

  constructor(
    readonly code: ImageWorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
