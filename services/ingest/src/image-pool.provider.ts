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

/** Image work runs in worker threads so it never starves the BullMQ lock renewal. */
@Injectable()
export class ImagePool implements OnModuleDestroy {
  readonly pool: ImageProcessorPool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Each upload is decoded once: libvips' operation cache would only hold memory.
    configureSharp({ cache: false });
    this.pool = new ImageProcessorPool({
      size: config.INGEST_IMAGE_THREADS,
      maxInputPixels: config.INGEST_MAX_INPUT_PIXELS,
      workerFile: workerFile(),
      taskTimeoutMs: 90_000,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }
}
