// sharp must be loaded by the main thread before any worker thread loads it: on glibc Linux
// this keeps libvips mapped when a thread exits (see sharp's "worker threads" notes).
import 'sharp';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { ImageWorkerError } from './errors';
import { assertValidPixelCap } from './limits';
import { type ProcessedImage, processImage } from './process';
import {
  type JobRequest,
  type WorkerConfig,
  type WorkerReply,
  deserializeError,
  reviveResult,
  transferables,
} from './worker-protocol';

export interface ImageProcessorPoolOptions {
  /** Worker threads to keep; each processes one image at a time. */
  size: number;
  maxInputPixels: number;
  /**
   * Run `processImage` on the calling thread instead (tests, scripts). HEIC decoding and
   * header parsing then block the event loop, so a queue worker should not use it.
   */
  inProcess?: boolean;
  /**
   * Compiled worker entry. Defaults to `processor.worker.js` beside this file, which exists
   * once the package is built; TypeScript sources cannot be started as threads on Node 20.
   */
  workerFile?: string;
  /** A job running longer than this kills its thread (replaced at once) and fails. */
  taskTimeoutMs?: number;
  /** V8 heap limits per thread; pixel buffers live outside the heap and are not counted. */
  resourceLimits?: ResourceLimits;
}

export interface RunOptions {
  /**
   * Move the input's memory to the worker instead of copying it. The caller's Buffer is
   * left empty (length 0), so only set this when the bytes are not needed afterwards.
   * A Buffer that is a slice of a larger ArrayBuffer (Node pools small ones) is copied anyway.
   */
  transferInput?: boolean;
}

export interface PoolStats {
  threads: number;
  busy: number;
  queued: number;
}

interface Job {
  id: number;
  input: Uint8Array;
  resolve: (result: ProcessedImage) => void;
  reject: (err: Error) => void;
  settled: Promise<unknown>;
  timer?: NodeJS.Timeout;
}

interface Thread {
  worker: Worker;
  /** The script loaded and answered; only such threads are replaced eagerly when they die. */
  ready: boolean;
  job: Job | null;
  /** Last uncaught error reported by the thread, used to explain its exit. */
  failure?: Error;
  /** Set when the pool itself ends the thread, to report why the job failed. */
  stopReason?: ImageWorkerError;
}

const NO_BYTES = new Uint8Array(0);

/**
 * Runs `processImage` off the event loop so a busy BullMQ worker keeps renewing its job
 * locks. Jobs queue FIFO while every thread is busy. A thread that crashes fails only the
 * job it held and is replaced; errors keep their type across the thread boundary
 * (`ImageRejectedError` stays a rejection, everything else becomes `ImageWorkerError`).
 */
export class ImageProcessorPool {
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private readonly inProcessJobs = new Set<Promise<unknown>>();
  private readonly workerFile: string | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ImageProcessorPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`pool size must be a positive integer, got ${options.size}`);
    }
    assertValidPixelCap(options.maxInputPixels);
    if (options.inProcess) return;

    this.workerFile = options.workerFile ?? join(__dirname, 'processor.worker.js');
    if (!/\.[cm]?js$/.test(this.workerFile) || !existsSync(this.workerFile)) {
      throw new Error(
        `image worker script not found at ${this.workerFile}: build the package first, ` +
          'pass a compiled `workerFile`, or use `inProcess: true`',
      );
    }
    for (let i = 0; i < options.size; i++) this.spawn();
  }

  run(input: Buffer, runOptions: RunOptions = {}): Promise<ProcessedImage> {
    if (this.closing) return Promise.reject(new ImageWorkerError('pool_closed', 'image processor pool is closed'));
    if (this.options.inProcess) {
      const promise = processImage(input, { maxInputPixels: this.options.maxInputPixels });
      this.trackInProcess(promise);
      return promise;
    }

    // Without transfer, copy into a fresh ArrayBuffer that can then be moved: one copy
    // instead of structured clone's serialise-and-deserialise.
    const bytes = runOptions.transferInput ? input : new Uint8Array(input);
    let job!: Job;
    const promise = new Promise<ProcessedImage>((resolve, reject) => {
      job = { id: this.nextId++, input: bytes, resolve, reject, settled: Promise.resolve() };
    });
    job.settled = promise.then(noop, noop);
    this.queue.push(job);
    this.dispatch();
    return promise;
  }

  stats(): PoolStats {
    let busy = this.inProcessJobs.size;
    for (const thread of this.threads) if (thread.job) busy++;
    return { threads: this.threads.size, busy, queued: this.queue.length };
  }

  /** Refuses new work, fails queued jobs, lets running ones finish, then stops every thread. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const queued = this.queue.splice(0);
    for (const job of queued) job.reject(new ImageWorkerError('pool_closed', 'image processor pool closed before the job started'));
    const running = [...this.threads].flatMap((t) => (t.job ? [t.job.settled] : []));
    this.closing = (async () => {
      await Promise.all([...running, ...this.inProcessJobs]);
      await Promise.all([...this.threads].map((t) => t.worker.terminate()));
    })();
    return this.closing;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = [...this.threads].find((t) => !t.job && !t.stopReason);
      if (!thread && this.threads.size < this.options.size) thread = this.spawn();
      if (!thread) return;
      this.start(thread, this.queue.shift()!);
    }
  }

  private start(thread: Thread, job: Job): void {
    thread.job = job;
    const timeout = this.options.taskTimeoutMs;
    if (timeout !== undefined) {
      job.timer = setTimeout(() => {
        thread.stopReason = new ImageWorkerError('timeout', `image processing took longer than ${timeout} ms`);
        void thread.worker.terminate();
      }, timeout);
      job.timer.unref();
    }
    const request: JobRequest = { id: job.id, input: job.input };
    thread.worker.postMessage(request, transferables(job.input));
    job.input = NO_BYTES; // the thread has the bytes now; do not keep them alive here
  }

  private spawn(): Thread {
    const workerData: WorkerConfig = { maxInputPixels: this.options.maxInputPixels };
    const worker = new Worker(this.workerFile!, { workerData, resourceLimits: this.options.resourceLimits });
    const thread: Thread = { worker, ready: false, job: null };
    worker.on('message', (reply: WorkerReply) => this.onReply(thread, reply));
    worker.on('error', (err) => {
      thread.failure = err;
    });
    worker.on('exit', (code) => this.onExit(thread, code));
    this.threads.add(thread);
    return thread;
  }

  private onReply(thread: Thread, reply: WorkerReply): void {
    if (reply.type === 'ready') {
      thread.ready = true;
      return;
    }
    const job = thread.job;
    if (!job || job.id !== reply.id) return;
    this.finish(thread, job);
    if (reply.retire) this.retire(thread);
    if (reply.type === 'done') job.resolve(reviveResult(reply.result));
    else job.reject(deserializeError(reply.error));
    if (!this.closing) this.dispatch();
  }

  /** Ends an idle thread that asked to go; a fresh one takes its place when work needs it. */
  private retire(thread: Thread): void {
    this.threads.delete(thread);
    void thread.worker.terminate();
  }

  private onExit(thread: Thread, code: number): void {
    this.threads.delete(thread);
    const job = thread.job;
    if (job) {
      this.finish(thread, job);
      const why = thread.failure ? `: ${thread.failure.message}` : '';
      job.reject(
        thread.stopReason ??
          new ImageWorkerError('worker_crashed', `image worker thread exited unexpectedly (exit code ${code})${why}`, {
            cause: thread.failure,
          }),
      );
    }
    if (this.closing) return;
    // A thread that never finished loading would likely die again; respawn it only on demand.
    if (thread.ready && this.threads.size < this.options.size) this.spawn();
    this.dispatch();
  }

  private finish(thread: Thread, job: Job): void {
    clearTimeout(job.timer);
    thread.job = null;
  }

  private trackInProcess(promise: Promise<unknown>): void {
    const settled = promise.then(noop, noop);
    this.inProcessJobs.add(settled);
    void settled.then(() => this.inProcessJobs.delete(settled));
  }
}

function noop(): void {}
