import { ImageRejectedError, ImageWorkerError, isImageRejectReasonCode } from './errors';
import type { ProcessedImage } from './process';

/** `workerData` given to each thread. */
export interface WorkerConfig {
  maxInputPixels: number;
}

/** main → worker */
export interface JobRequest {
  id: number;
  input: Uint8Array;
}

/** Errors are flattened to plain data: class identity does not survive postMessage. */
export type SerializedError =
  | { kind: 'rejected'; reasonCode: string; reason: string }
  | { kind: 'error'; name: string; message: string; stack?: string };

/** worker → main */
/** `retire`: the thread holds memory it cannot give back (libheif's); replace it. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; result: ProcessedImage; retire: boolean }
  | { type: 'failed'; id: number; error: SerializedError; retire: boolean };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ImageRejectedError) {
    return { kind: 'rejected', reasonCode: err.reasonCode, reason: err.reason };
  }
  if (err instanceof Error) {
    return { kind: 'error', name: err.name, message: err.message, ...(err.stack !== undefined && { stack: err.stack }) };
  }
  return { kind: 'error', name: 'Error', message: String(err) };
}

export function deserializeError(error: SerializedError): Error {
  if (error.kind === 'rejected' && isImageRejectReasonCode(error.reasonCode)) {
    return new ImageRejectedError(error.reasonCode, error.reason);
  }
  if (error.kind === 'rejected') {
    return new ImageWorkerError('worker_failed', `unknown rejection code ${error.reasonCode}: ${error.reason}`);
  }
  const cause = Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
  return new ImageWorkerError('worker_failed', `image processing failed in worker thread: ${error.message}`, { cause });
}

/** Buffers come back from a thread as plain Uint8Arrays; re-wrap them without copying. */
export function reviveResult(result: ProcessedImage): ProcessedImage {
  const wrap = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    ...result,
    master: wrap(result.master),
    masterHalf: wrap(result.masterHalf),
    analysis: wrap(result.analysis),
    thumbnail: wrap(result.thumbnail),
  };
}

/** ArrayBuffers that can be moved instead of copied: only those a view fully owns. */
export function transferables(...views: Uint8Array[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const view of views) {
    const { buffer } = view;
    if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength && !list.includes(buffer)) {
      list.push(buffer);
    }
  }
  return list;
}
