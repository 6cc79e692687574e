import { randomBytes, randomUUID } from 'node:crypto';
import { CONVERSE_ERROR_STATUS, type ConverseErrorType, type WireContentBlock } from './types';
import type { WireUsage } from './usage';

/** One HTTP answer, independent of HTTP/1.1 or HTTP/2. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// The suffix the service appends; the SDK strips everything after the first ':'.
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

const DEFAULT_MESSAGES: Partial<Record<ConverseErrorType, string>> = {
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ServiceQuotaExceededException: 'Your request exceeds the service quota for your account.',
  ModelTimeoutException: 'Model has timed out in processing the request.',
  ServiceUnavailableException: 'Service is temporarily unavailable.',
  InternalServerException: 'The server encountered an internal error.',
};

function baseHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() };
}

export function errorResponse(type: ConverseErrorType | 'UnknownOperationException', message?: string): WireResponse {
  const status = type === 'UnknownOperationException' ? 404 : CONVERSE_ERROR_STATUS[type];
  const text = message ?? (type === 'UnknownOperationException' ? undefined : DEFAULT_MESSAGES[type]) ?? type;
  return {
    status,
    headers: { ...baseHeaders(), 'x-amzn-errortype': `${type}${ERROR_TYPE_SUFFIX}` },
    body: JSON.stringify({ message: text }),
  };
}

export function toolUseBlock(name: string, input: unknown): WireContentBlock {
  return { toolUse: { toolUseId: `tooluse_${randomBytes(16).toString('base64url')}`, name, input } };
}

export function successResponse(
  content: WireContentBlock[],
  stopReason: 'tool_use' | 'end_turn' | 'max_tokens',
  usage: WireUsage,
  latencyMs: number,
): WireResponse {
  return {
    status: 200,
    headers: baseHeaders(),
    body: JSON.stringify({
      output: { message: { role: 'assistant', content } },
      stopReason,
      usage,
      metrics: { latencyMs },
    }),
  };
}
