import type { ObjectStoreOptions } from './options';

export interface SseParams {
  ServerSideEncryption: 'AES256' | 'aws:kms';
  SSEKMSKeyId?: string;
}

/** The SSE request parameters every write carries (policy P2). */
export function sseParams(opts: Pick<ObjectStoreOptions, 'sse' | 'kmsKeyId'>): SseParams {
  return opts.sse === 'aws:kms'
    ? { ServerSideEncryption: 'aws:kms', ...(opts.kmsKeyId ? { SSEKMSKeyId: opts.kmsKeyId } : {}) }
    : { ServerSideEncryption: 'AES256' };
}
