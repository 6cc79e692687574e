import { VisionCallError, type VisionErrorKind } from './errors';

/** How one call ended when the SDK threw, as seen by invokeVisionPass. */
export interface SdkFailureContext {
  modelId: string;
  latencyMs: number;
  timeoutMs: number;
  /** Our own timeout fired. */
  timedOut: boolean;
  /** The caller's signal fired (shutdown, job cancelled). */
  cancelled: boolean;
}

const BY_NAME: Record<string, VisionErrorKind> = {
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
  ServiceQuotaExceededException: 'quota',
  ValidationException: 'invalid_request',
  AccessDeniedException: 'invalid_request',
  ResourceNotFoundException: 'invalid_request',
  UnrecognizedClientException: 'invalid_request',
  InvalidSignatureException: 'invalid_request',
  InternalServerException: 'transient',
  ServiceUnavailableException: 'transient',
  ModelTimeoutException: 'transient',
  ModelNotReadyException: 'transient',
  ModelErrorException: 'transient',
  ExpiredTokenException: 'transient', // credentials refresh before the next attempt
  TimeoutError: 'transient',
  RequestTimeout: 'transient',
};

const REASON: Record<VisionErrorKind, string> = {
  throttled: 'The AI service is busy right now; the photo will be analysed again shortly.',
  transient: 'The AI service had a temporary problem; the photo will be analysed again shortly.',
  quota: 'The AI service quota for this installation is used up; an operator needs to raise it before photos can be analysed.',
  invalid_request: 'The AI service refused the request; an operator needs to check the vision configuration.',
  bad_output: 'The AI answer did not have the expected structure.',
  truncated: 'The AI answer was cut off before it was complete.',
};

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

export function classifySdkError(err: unknown, ctx: SdkFailureContext): VisionCallError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkLikeError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const base = { modelId: ctx.modelId, latencyMs: ctx.latencyMs, httpStatus: status, cause: err };

  if (ctx.timedOut) {
    return new VisionCallError({
      ...base,
      kind: 'transient',
      code: 'Timeout',
      timedOut: true,
      reason: `The AI service did not answer within ${Math.round(ctx.timeoutMs / 1000)} seconds; the photo will be analysed again shortly.`,
      detail: `no answer within ${ctx.timeoutMs} ms (${name}: ${e.message ?? ''})`,
    });
  }
  if (ctx.cancelled) {
    return new VisionCallError({
      ...base,
      kind: 'transient',
      code: 'Aborted',
      reason: 'Analysis was interrupted; it will run again shortly.',
      detail: `call aborted by the caller (${name})`,
    });
  }
  const kind = BY_NAME[name] ?? byStatus(status, e);
  return new VisionCallError({ ...base, kind, code: name, reason: REASON[kind], detail: `${name}${status ? ` (${status})` : ''}: ${e.message ?? ''}` });
}

function byStatus(status: number | undefined, e: SdkLikeError): VisionErrorKind {
  if (status === 429) return 'throttled';
  if (status !== undefined && status >= 500) return 'transient';
  if (status !== undefined && status >= 400) return 'invalid_request';
  if (e.$fault === 'server') return 'transient';
  // No HTTP answer at all: connection refused or reset, DNS, TLS. Worth a retry.
  return 'transient';
}

export { REASON as VISION_ERROR_REASON };
