/**
 * Entry point of an image worker thread, started by ImageProcessorPool. Runs one job at a
 * time; the pool never sends a second job before the first is answered.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { garbageCollector } from './collect-garbage';
import { heicDecoderLoaded } from './heic';
import { type ProcessedImage, processImage } from './process';
import {
  type JobRequest,
  type WorkerConfig,
  type WorkerReply,
  serializeError,
  transferables,
} from './worker-protocol';

function requireParentPort(): MessagePort {
  if (!parentPort) throw new Error('processor.worker must be started as a worker thread');
  return parentPort;
}

const port = requireParentPort();
const config = workerData as WorkerConfig;
/**
 * V8 collects when its own heap fills, and for the native memory behind Buffers only once some
 * 64 MB more of it is held. This thread's heap barely grows per job, so each job's input, master
 * and pixel buffers (over 10 MB) would pile up to that in every thread. A full collection of this
 * small heap takes a millisecond or two, so one runs after every job.
 */
const collectGarbage = garbageCollector();

/**
 * sharp's outputs live in memory libvips allocated, which cannot be moved to another thread:
 * posting them would copy each twice (serialise, then deserialise into a growing buffer). One
 * copy into memory V8 owns can be moved instead.
 */
function movable(result: ProcessedImage): ProcessedImage {
  const own = (bytes: Buffer): Buffer => {
    const copy = Buffer.from(new ArrayBuffer(bytes.byteLength));
    bytes.copy(copy);
    return copy;
  };
  return {
    ...result,
    master: own(result.master),
    masterHalf: own(result.masterHalf),
    analysis: own(result.analysis),
    thumbnail: own(result.thumbnail),
  };
}

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch (err) {
    // Should a buffer still refuse to move, a plain structured clone delivers it.
    if (transfer.length === 0) throw err;
    port.postMessage(message);
  }
}

port.on('message', (job: JobRequest) => {
  const input = Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength);
  processImage(input, { maxInputPixels: config.maxInputPixels })
    .then(
      (processed) => {
        const result = movable(processed);
        const transfer = transferables(result.master, result.masterHalf, result.analysis, result.thumbnail);
        reply({ type: 'done', id: job.id, result, retire: heicDecoderLoaded() }, transfer);
      },
      (err: unknown) => reply({ type: 'failed', id: job.id, error: serializeError(err), retire: heicDecoderLoaded() }),
    )
    .finally(collectGarbage);
});

reply({ type: 'ready' });
