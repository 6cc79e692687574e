/**
 * A failed vision call, classified for the queue: `throttled` pauses the queue, `transient`
 * is retried with job backoff, the rest fail the step (or are retried once more for
 * bad_output, which a new sample can fix).
 */
export type VisionErrorKind = 'throttled' | 'transient' | 'quota' | 'invalid_request' | 'bad_output' | 'truncated';

export interface VisionUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const RETRYABLE: Record<VisionErrorKind, boolean> = {
  throttled: true,
  transient: true,
  quota: false,
  invalid_request: false,
  // Sampling differs between attempts even at temperature 0, so one more try is worth it.
  bad_output: true,
  // The same request truncates again; a caller may retry with a larger maxTokens.
  truncated: false,
};

export interface VisionCallErrorInit {
  kind: VisionErrorKind;
  /** A sentence a user can read (stored as the item's reason). */
  reason: string;
  /** Technical detail for logs and the model_call row. */
  detail: string;
  /** The SDK error name, or our own: Timeout, Aborted, NoToolUse, ToolNameMismatch, SchemaMismatch… */
  code: string;
  modelId: string;
  latencyMs: number;
  httpStatus?: number;
  usage?: VisionUsage | null;
  stopReason?: string;
  timedOut?: boolean;
  retryable?: boolean;
  cause?: unknown;
}

export class VisionCallError extends Error {
  override readonly name = 'VisionCallError';
  readonly kind: VisionErrorKind;
  readonly retryable: boolean;
  readonly reason: string;
  readonly code: string;
  readonly modelId: string;
  readonly latencyMs: number;
  readonly httpStatus: number | undefined;
  /** Present when the service answered (bad_output, truncated); null when it did not. */
  readonly usage: VisionUsage | null;
  readonly stopReason: string | undefined;
  readonly timedOut: boolean;

  constructor(init: VisionCallErrorInit) {
    super(init.detail, { cause: init.cause });
    this.kind = init.kind;
    this.retryable = init.retryable ?? RETRYABLE[init.kind];
    this.reason = init.reason;
    this.code = init.code;
    this.modelId = init.modelId;
    this.latencyMs = init.latencyMs;
    this.httpStatus = init.httpStatus;
    this.usage = init.usage ?? null;
    this.stopReason = init.stopReason;
    this.timedOut = init.timedOut ?? false;
  }

  /** The model_call.outcome value: the kind, or `timeout` for a call we gave up on. */
  get outcome(): string {
    return this.timedOut ? 'timeout' : this.kind;
  }
}
