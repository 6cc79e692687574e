/**
 * Entry point of an image worker thread, started by ImageProcessorPool. Runs one job at a
 * time; the pool never sends a second job before the first is answered.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { processImage } from './process';
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

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch (err) {
    // Newer Node versions refuse to transfer externally allocated memory (sharp's output);
    // a plain structured clone still delivers it.
    if (transfer.length === 0) throw err;
    port.postMessage(message);
  }
}

port.on('message', (job: JobRequest) => {
  const input = Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength);
  processImage(input, { maxInputPixels: config.maxInputPixels }).then(
    (result) => reply({ type: 'done', id: job.id, result }, transferables(result.master, result.analysis, result.thumbnail)),
    (err: unknown) => reply({ type: 'failed', id: job.id, error: serializeError(err) }),
  );
});

reply({ type: 'ready' });
