import { loadConfig } from '@sessionpix/config';
import { MikroORM } from '@sessionpix/db';
import { ingestService } from '@sessionpix/ingest';
import { ImageProcessorPool, type ProcessedImage } from '@sessionpix/ingest/dist/image';
import { JobProducer } from '@sessionpix/queue';
import { startProcess } from '@sessionpix/runtime';
import { ObjectStore } from '@sessionpix/storage';
import { bareSharp } from '../bare-sharp';
import { sharedS3, serviceConfig, serviceEnv, suiteDatabase, suitePrefix } from '../env';
import { type BenchContext, interleaved, summarize, type Suite, timed, withConcurrency } from '../framework';
import { INGEST_PHOTO, makePhoto, PHOTO_HEIGHT, PHOTO_WIDTH, uniqueVariant } from '../photos';
import { createOrgWithCollection, enqueueIngest, stageUpload, waitForJob } from '../staging';

/** Photos per throughput round. */
const THROUGHPUT_BATCH = 4;

export const ingestSuite: Suite = {
  name: 'ingest',
  title: 'ingest ms per 12 MP JPEG: ImageProcessorPool vs bare sharp',
  async run(ctx: BenchContext) {
    // The service's own defaults (INGEST_IMAGE_THREADS, INGEST_MAX_INPUT_PIXELS).
    const defaults = loadConfig({}, { services: [] });
    const maxInputPixels = defaults.INGEST_MAX_INPUT_PIXELS;
    const threads = defaults.INGEST_IMAGE_THREADS;

    ctx.log('generating 12 MP test photos (EXIF orientation 6 + GPS)');
    const photos = [await makePhoto({ seed: 1, ...INGEST_PHOTO }), await makePhoto({ seed: 2, ...INGEST_PHOTO })];
    const photoOf = (round: number) => photos[round % photos.length];

    // As the ingest service builds it (image-pool.provider.ts), from the compiled package.
    const pool = new ImageProcessorPool({ size: threads, maxInputPixels, taskTimeoutMs: 90_000 });
    let poolOpen = true;
    ctx.defer(() => (poolOpen ? pool.close() : undefined));

    // Same bytes, same operations: the outputs must be identical or the ratio means nothing.
    {
      const fromPool = await pool.run(Buffer.from(photos[0]));
      const fromSharp = await bareSharp(Buffer.from(photos[0]), maxInputPixels);
      const kinds = ['master', 'masterHalf', 'analysis', 'thumbnail'] as const;
      const same = kinds.filter((k) => fromPool[k].equals(fromSharp[k]));
      describeOutputs(ctx, fromPool, same);
      if (same.length !== kinds.length) {
        throw new Error(`the baseline does not reproduce the pool's output (identical: ${same.join(', ') || 'none'})`);
      }
    }

    // 1) one photo at a time: latency per photo.
    const serial = await interleaved(
      ctx,
      'ingest serial',
      async (round) => {
        const input = Buffer.from(photoOf(round)); // fresh memory, moved to the thread like the handler does
        return timed(() => pool.run(input, { transferInput: true }));
      },
      async (round) => {
        const input = Buffer.from(photoOf(round));
        return timed(() => bareSharp(input, maxInputPixels));
      },
      // Cheap samples on a noisy machine: take twice as many.
      { runs: ctx.runs * 2 },
    );
    ctx.record({
      metric: 'ingest per 12 MP JPEG',
      unit: 'ms',
      better: 'lower',
      subject: { label: `ImageProcessorPool.run (${threads} threads), 1 in flight`, stats: summarize(serial.subject, 'lower') },
      baseline: { label: 'bare sharp, same ops, main thread', stats: summarize(serial.baseline, 'lower') },
      target: { on: 'ratio', op: '<=', value: 1.3 },
    });

    // 2) as many in flight as the pool has threads: throughput.
    const batch = (round: number) => Array.from({ length: THROUGHPUT_BATCH }, (_, i) => Buffer.from(photoOf(round + i)));
    const parallel = await interleaved(
      ctx,
      'ingest throughput',
      async (round) => {
        const inputs = batch(round);
        const ms = await timed(() => withConcurrency(inputs, threads, (input) => pool.run(input, { transferInput: true }).then(() => undefined)));
        return THROUGHPUT_BATCH / (ms / 1000);
      },
      async (round) => {
        const inputs = batch(round);
        const ms = await timed(() => withConcurrency(inputs, threads, (input) => bareSharp(input, maxInputPixels).then(() => undefined)));
        return THROUGHPUT_BATCH / (ms / 1000);
      },
    );
    ctx.record({
      metric: 'ingest throughput',
      unit: 'photo/s',
      better: 'higher',
      subject: { label: `ImageProcessorPool, ${threads} in flight`, stats: summarize(parallel.subject, 'higher') },
      baseline: { label: `bare sharp, ${threads} in flight`, stats: summarize(parallel.baseline, 'higher') },
    });
    await pool.close();
    poolOpen = false;

    // 3) the whole worker path for one photo: S3 get + hash + dedupe query + process + 3 puts +
    //    delete + status commit + next job, timed by BullMQ from pick-up to completion.
    await fullWorkerPath(ctx, photos, serial.subject);
  },
};

function describeOutputs(ctx: BenchContext, out: ProcessedImage, identical: readonly string[]): void {
  const kb = (b: Buffer) => `${Math.round(b.length / 1024)} KiB`;
  ctx.note(
    `ingest: input ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEG, EXIF orientation 6 + GPS → master ${out.masterWidth}×${out.masterHeight} ` +
      `(${kb(out.master)}), half-size master (${kb(out.masterHalf)}), analysis ${out.analysisWidth}×${out.analysisHeight} (${kb(out.analysis)}), ` +
      `thumb ${out.thumbWidth}×${out.thumbHeight} (${kb(out.thumbnail)}); baseline output byte-identical for: ${identical.join(', ')}`,
  );
}

async function fullWorkerPath(ctx: BenchContext, photos: Buffer[], poolSamples: number[]): Promise<void> {
  const s3 = await sharedS3(ctx);
  const db = await suiteDatabase(ctx, 'ingest');
  const prefix = suitePrefix(ctx);
  const config = serviceConfig(
    serviceEnv({ s3, databaseUrl: db.url, prefix, services: 'ingest', extra: { INGEST_CONCURRENCY: '1' } }),
  );
  ctx.log('starting the ingest service in this process (concurrency 1)');
  const proc = await startProcess({ config, available: [ingestService], handleSignals: false });
  ctx.defer(() => proc.close());
  const orm = proc.app.get<MikroORM>(MikroORM);
  const store = proc.app.get(ObjectStore);
  const producer = proc.app.get(JobProducer);
  const where = await createOrgWithCollection(orm, 'Bench Ingest');

  const samples: number[] = [];
  const total = ctx.warmup + ctx.runs;
  for (let i = 0; i < total; i++) {
    // Unique bytes per item: identical uploads would take the duplicate (copy) path instead.
    const bytes = uniqueVariant(photos[i % photos.length], `path-${i}`);
    const itemId = await stageUpload(orm, store, where, bytes, `rack-${i}.jpg`);
    const jobId = await enqueueIngest(producer, where.orgId, itemId);
    const done = await waitForJob(producer, jobId);
    if (typeof done.result !== 'string' || !done.result.startsWith('ingested ')) {
      throw new Error(`ingest of ${itemId} did not take the processing path: ${JSON.stringify(done.result)}`);
    }
    if (i >= ctx.warmup) samples.push(done.workerMs);
    ctx.log(`  ingest worker path: ${i < ctx.warmup ? 'warm-up' : `run ${i - ctx.warmup + 1}/${ctx.runs}`} done`);
  }
  ctx.record({
    metric: 'ingest worker path per photo',
    unit: 'ms',
    better: 'lower',
    subject: { label: 'ingest job, c=1 (S3 get, process, 3 puts, delete, DB, enqueue)', stats: summarize(samples, 'lower') },
    baseline: { label: 'ImageProcessorPool.run alone (row above)', stats: summarize(poolSamples, 'lower') },
  });
}
