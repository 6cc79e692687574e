import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';

export interface BedrockClientOptions {
  region: string;
  /** A stand-in's URL. Unset: the SDK's default, or AWS_ENDPOINT_URL_BEDROCK_RUNTIME. */
  endpoint?: string;
  /**
   * SDK attempts per call; default 1 (no SDK retries). Retry policy belongs to the queue: a
   * throttle pauses the whole queue, other failures use the job's backoff, and each attempt
   * gets its own model_call row, which hidden SDK retries would blur.
   */
  maxAttempts?: number;
  /** Tests pass static credentials; production uses the default provider chain. */
  credentials?: BedrockRuntimeClientConfig['credentials'];
}

export function createBedrockClient(options: BedrockClientOptions): BedrockRuntimeClient {
  const maxAttempts = options.maxAttempts ?? 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  return new BedrockRuntimeClient({
    region: options.region,
    maxAttempts,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
