/**
 * Shapes the Converse stand-in reads and writes. Deliberately loose: the stand-in must accept
 * whatever the real SDK sends, so only the fields it acts on are named.
 */

export interface WireContentBlock {
  text?: string;
  image?: { format?: string; source?: { bytes?: string | Buffer } };
  toolUse?: { toolUseId: string; name: string; input: unknown };
  cachePoint?: { type: string };
  [other: string]: unknown;
}

export interface WireMessage {
  role: string;
  content: WireContentBlock[];
}

export interface WireToolSpec {
  name: string;
  description?: string;
  inputSchema?: { json?: unknown };
}

export interface ConverseRequestBody {
  messages?: WireMessage[];
  system?: WireContentBlock[];
  toolConfig?: {
    tools?: Array<{ toolSpec?: WireToolSpec; cachePoint?: { type: string } }>;
    toolChoice?: { tool?: { name: string }; any?: object; auto?: object };
  };
  inferenceConfig?: { maxTokens?: number; temperature?: number };
  [other: string]: unknown;
}

export interface RecordedCall {
  /** 1-based arrival order since start (or the last reset). */
  seq: number;
  /** Decoded from the URL path. */
  modelId: string;
  /** The JSON body as sent, with every `image.source.bytes` decoded to a Buffer. */
  body: ConverseRequestBody;
  at: Date;
  /** '2.0' when the client spoke h2c (the SDK default), '1.1' otherwise. */
  httpVersion: string;
  /** `toolConfig.toolChoice.tool.name`, or the only tool when one is offered. */
  toolName: string | null;
  /** Every image in message order, for byte comparisons. */
  images: Buffer[];
}

/** Error types the service sends, with the HTTP status the SDK model declares for each. */
export const CONVERSE_ERROR_STATUS = {
  ThrottlingException: 429,
  ServiceQuotaExceededException: 400,
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 400,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
} as const;

export type ConverseErrorType = keyof typeof CONVERSE_ERROR_STATUS;

interface BehaviourBase {
  /** Wait this long before answering (a client abort during the wait drops the answer). */
  delayMs?: number;
}

/**
 * What the stand-in does with one call.
 * - answer: a tool use with `input` (omitted: the responder's answer, or a derived default).
 * - error / throttle: the service's error response for that type.
 * - malformed: a broken tool answer (schema mismatch, non-object input, no toolUse block,
 *   or a tool name other than the one requested).
 * - max_tokens: `stopReason: max_tokens` with a cut-off tool input (default `{}`).
 */
export type Behaviour =
  | (BehaviourBase & { kind: 'answer'; input?: unknown })
  | (BehaviourBase & { kind: 'error'; type: ConverseErrorType; message?: string })
  | (BehaviourBase & { kind: 'throttle'; message?: string })
  | (BehaviourBase & {
      kind: 'malformed';
      variant: 'schema_mismatch' | 'not_object' | 'no_tool_use' | 'wrong_tool_name';
      input?: unknown;
    })
  | (BehaviourBase & { kind: 'max_tokens'; input?: unknown });

/** A standing rule: applies `behaviour` to matching calls until removed. */
export interface Rule {
  behaviour: Behaviour | ((call: RecordedCall) => Behaviour | undefined);
  /** Only calls for which this is true count (default: every call). */
  when?: (call: RecordedCall) => boolean;
  /**
   * Apply to this share of matching calls, spread evenly and deterministically: the n-th
   * matching call fires when floor(n * fraction) grows, so 0.5 hits calls 2, 4, 6…
   */
  fraction?: number;
  /** Stop after this many applications. */
  times?: number;
}

/** Supplies the tool input for an answer; return undefined to fall back to the default. */
export type Responder = (call: RecordedCall) => unknown | Promise<unknown>;
