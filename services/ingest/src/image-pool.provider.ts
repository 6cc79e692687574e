import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { configureSharp, ImageProcessorPool } from './image';

/**
 * The compiled worker script. Running from sources (tests), it is the built copy in dist;
 * `npm test` builds first.
 */
function workerFile(): string {
  const beside = join(__dirname, 'image', 'processor.worker.js');
  if (existsSync(beside)) return beside;
  return join(__dirname, '..', 'dist', 'image', 'processor.worker.js');
}

/**
 * Image work runs in worker threads so it never starves the BullMQ lock renewal. Uploads are read
 * into memory only when a thread is about to take them: one per thread plus one waiting, however
 * many ingest jobs run at once (each 12 MP original is several MB).
 */
@Injectable()
export class ImagePool implements OnModuleDestroy {
  readonly pool: ImageProcessorPool;
  private readonly slots: number;
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Each upload is decoded once: libvips' operation cache would only hold memory.
    configureSharp({ cache: false });
    this.pool = new ImageProcessorPool({
      size: config.INGEST_IMAGE_THREADS,
      maxInputPixels: config.INGEST_MAX_INPUT_PIXELS,
      workerFile: workerFile(),
      taskTimeoutMs: 90_000,
    });
    this.slots = config.INGEST_IMAGE_THREADS + 1;
  }

  /** Runs `work` (read the upload, process it) once a slot is free; the slot is held until it settles. */
  async withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.inUse >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inUse += 1;
    try {
      return await work();
    } finally {
      // Handed straight to the next waiter, so the count never dips and lets a newcomer in first.
      const next = this.waiting.shift();
      if (next) next();
      else this.inUse -= 1;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }
}
