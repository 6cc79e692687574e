/**
 * processImage against bare sharp doing the same work on a 12 MP sideways JPEG.
 * Opt-in (slow, machine-dependent): IMAGE_BENCH=1 npx vitest run services/ingest/test/image-bench.test.ts
 * Optional: IMAGE_BENCH_CONCURRENCY=1 to pin libvips to one thread per operation.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  ANALYSIS_MAX_EDGE,
  ANALYSIS_MAX_PIXELS,
  DEFAULT_MAX_INPUT_PIXELS,
  MASTER_MAX_EDGE,
  THUMB_MAX_EDGE,
  configureSharp,
  fitWithin,
  processImage,
} from '../src/image';
import { ImageProcessorPool } from '../src/image';
import { sidewaysPhoto } from './helpers/images';
import { buildImageWorker } from './helpers/worker-build';

/** The straightforward way: encode the master, then derive both renditions from its bytes. */
async function bareSharp(input: Buffer): Promise<number> {
  const master = await sharp(input, { autoOrient: true })
    .resize(MASTER_MAX_EDGE, MASTER_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 90 })
    .toBuffer({ resolveWithObject: true });
  const size = fitWithin(master.info, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS);
  const analysis = await sharp(master.data).resize(size.width, size.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
  const thumb = await sharp(master.data)
    .resize(THUMB_MAX_EDGE, THUMB_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return master.data.length + analysis.length + thumb.length;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.runIf(process.env.IMAGE_BENCH)('benchmark: 12 MP JPEG', () => {
  it('processImage stays within 1.3× of bare sharp', { timeout: 300_000 }, async () => {
    const concurrency = Number(process.env.IMAGE_BENCH_CONCURRENCY ?? 0) || undefined;
    configureSharp({ cache: false, ...(concurrency && { concurrency }) });
    const input = await sidewaysPhoto();
    const ours: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 2; i++) {
      await processImage(input, { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS });
      await bareSharp(input);
    }
    for (let i = 0; i < 10; i++) {
      // Interleaved, so drift in machine load hits both sides alike.
      ours.push(await timed(() => processImage(input, { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS })));
      bare.push(await timed(() => bareSharp(input)));
    }
    const report = {
      concurrency: sharp.concurrency(),
      processImage: { medianMs: Math.round(median(ours)), meanMs: Math.round(mean(ours)) },
      bareSharp: { medianMs: Math.round(median(bare)), meanMs: Math.round(mean(bare)) },
      ratio: Number((median(ours) / median(bare)).toFixed(2)),
    };
    console.log(JSON.stringify(report));
    expect(report.ratio).toBeLessThanOrEqual(1.3);
  });

  it('reports the cost of running in a worker thread', { timeout: 300_000 }, async () => {
    const input = await sidewaysPhoto();
    const build = buildImageWorker();
    const pool = new ImageProcessorPool({ size: 1, maxInputPixels: DEFAULT_MAX_INPUT_PIXELS, workerFile: build.workerFile });
    try {
      const inThread: number[] = [];
      const inProcess: number[] = [];
      for (let i = 0; i < 2; i++) await pool.run(input);
      for (let i = 0; i < 10; i++) {
        inThread.push(await timed(() => pool.run(input)));
        inProcess.push(await timed(() => processImage(input, { maxInputPixels: DEFAULT_MAX_INPUT_PIXELS })));
      }
      console.log(
        JSON.stringify({
          pool: { medianMs: Math.round(median(inThread)), meanMs: Math.round(mean(inThread)) },
          inProcess: { medianMs: Math.round(median(inProcess)), meanMs: Math.round(mean(inProcess)) },
        }),
      );
    } finally {
      await pool.close();
      build.cleanup();
    }
  });
});
