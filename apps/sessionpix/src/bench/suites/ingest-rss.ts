import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@sessionpix/config';
import { emForOrg, Item, openOrm } from '@sessionpix/db';
import { createRedis, JobProducer } from '@sessionpix/queue';
import { createObjectStore, objectStoreOptionsFromConfig } from '@sessionpix/storage';
import { sharedS3, serviceConfig, serviceEnv, suiteDatabase, suitePrefix } from '../env';
import { type BenchContext, summarize, type Suite } from '../framework';
import { MemorySampler } from '../proc-mem';
import { INGEST_PHOTO, makePhoto, uniqueVariant } from '../photos';
import { containerTuning, type ServiceProcess, startServiceProcess } from '../service-process';
import { createOrgWithCollection, enqueueIngest, stageUpload } from '../staging';

const PHOTOS = 12;
/** Batches of PHOTOS fed one after another: the peak of each is one sample. */
const BATCHES = 3;
const CONCURRENCY = 4;
const TARGET_MIB = 250;
const IDLE_SETTLE_MS = 1_000;
const IDLE_SAMPLE_MS = 2_000;
const DRAIN_TIMEOUT_MS = 180_000;

const BARE_SHARP_JS = join(__dirname, '..', 'bare-sharp-child.js');

/**
 * Peak resident memory of an ingest worker process (worker threads included, child processes
 * summed) while it ingests batches of 12 MP photos at concurrency 4, against the same process
 * sitting idle after start-up.
 */
export const ingestRssSuite: Suite = {
  name: 'ingest-rss',
  title: `ingest worker peak RSS at concurrency ${CONCURRENCY}`,
  async run(ctx: BenchContext) {
    const s3 = await sharedS3(ctx);
    const db = await suiteDatabase(ctx, 'rss');
    const prefix = suitePrefix(ctx);
    const env = serviceEnv({
      s3,
      databaseUrl: db.url,
      prefix,
      services: 'ingest',
      extra: {
        INGEST_CONCURRENCY: String(CONCURRENCY),
        LOG_LEVEL: 'warn',
        // The items are staged before the worker starts; its start-up sweep must not claim them.
        SWEEP_GRACE_SECONDS: '3600',
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      },
    });
    const config = serviceConfig(env);

    // Stage what the gateway would have left: raw uploads in S3 and `uploaded` rows.
    ctx.log(`generating and staging ${BATCHES}×${PHOTOS} distinct 12 MP uploads`);
    const bases = [await makePhoto({ seed: 11, ...INGEST_PHOTO }), await makePhoto({ seed: 12, ...INGEST_PHOTO })];
    const orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
    ctx.defer(() => orm.close(true));
    const store = createObjectStore(objectStoreOptionsFromConfig(config));
    ctx.defer(() => store.destroy());
    const where = await createOrgWithCollection(orm, 'Bench RSS');
    const batches: string[][] = [];
    const firstBatch: Buffer[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const ids: string[] = [];
      for (let i = 0; i < PHOTOS; i++) {
        const bytes = uniqueVariant(bases[i % bases.length], `rss-${b}-${i}`);
        ids.push(await stageUpload(orm, store, where, bytes, `rack-${b}-${i}.jpg`));
        if (b === 0) firstBatch.push(bytes);
      }
      batches.push(ids);
    }
    const uploadMiB = bases.map((b) => (b.length / 2 ** 20).toFixed(1)).join('/');

    // The worker, as its own process, tuned as the container image runs it. INGEST_IMAGE_THREADS
    // is left to its default.
    const childEnv: NodeJS.ProcessEnv = { ...containerTuning(), ...process.env, ...env };
    delete childEnv.INGEST_IMAGE_THREADS;
    ctx.log('starting the ingest worker process');
    const worker = startServiceProcess(childEnv);
    ctx.defer(() => worker.stop());
    await worker.ready;
    const pid = worker.child.pid!;

    const sampler = new MemorySampler(pid, 50).start();
    ctx.defer(() => sampler.stop());
    const idle = await sampler.idle(IDLE_SETTLE_MS, IDLE_SAMPLE_MS);
    const startupHwm = sampler.sample()?.main.hwmMiB ?? Number.NaN;

    const redis = createRedis(config.REDIS_URL, 'sessionpix:bench');
    ctx.defer(() => void redis.disconnect());
    const producer = new JobProducer(redis, config);
    ctx.defer(() => producer.onApplicationShutdown());

    // Feed one batch at a time; each batch's peak is one sample.
    const peaks: number[] = [];
    const drains: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const started = performance.now();
      const { value: statuses, peakMiB } = await sampler.during(async () => {
        for (const itemId of batches[b]) await enqueueIngest(producer, where.orgId, itemId);
        return waitForItems(orm, where.orgId, batches[b], worker);
      });
      drains.push((performance.now() - started) / 1000);
      peaks.push(peakMiB);
      if ((statuses.ingested ?? 0) !== PHOTOS) {
        throw new Error(`not every photo was ingested: ${JSON.stringify(statuses)}; worker output:\n${worker.output()}`);
      }
      ctx.log(`  ingest-rss: batch ${b + 1}/${BATCHES} done in ${drains[b].toFixed(1)} s, peak ${peakMiB.toFixed(0)} MiB`);
    }
    sampler.stop();
    const endHwm = sampler.latest?.main.hwmMiB ?? Number.NaN;
    const threadsSeen = sampler.maxThreads;
    const childrenSeen = sampler.latest?.children.length ?? 0;
    await worker.stop();

    ctx.record({
      metric: 'ingest worker peak RSS',
      unit: 'MiB',
      better: 'lower',
      subject: {
        label: `per batch of ${PHOTOS}× 12 MP (${uploadMiB} MiB JPEGs), c=${CONCURRENCY}, threads+children`,
        stats: summarize(peaks, 'lower'),
      },
      baseline: { label: 'same process idle after start-up', stats: summarize(idle, 'lower') },
      target: { on: 'absolute', op: '<=', value: TARGET_MIB, stat: 'worst' },
    });

    const jobs = await producer.queue('ingest').getJobs(['completed'], 0, BATCHES * PHOTOS);
    const workerMs = jobs.flatMap((j) => (j.finishedOn && j.processedOn ? [j.finishedOn - j.processedOn] : []));
    const perJob = summarize(workerMs, 'lower');
    const rate = summarize(drains.map((s) => PHOTOS / s), 'higher');
    ctx.note(
      `ingest-rss: start-up high-water mark ${startupHwm.toFixed(1)} MiB; end VmHWM ${endHwm.toFixed(1)} MiB; ` +
        `threads at most ${threadsSeen}; child processes seen: ${childrenSeen}; ` +
        `drain rate median ${rate.median.toFixed(2)} photo/s at c=${CONCURRENCY}; worker time per job median ` +
        `${perJob.median.toFixed(0)} ms, p90 ${perJob.tail.toFixed(0)} ms (n=${perJob.n}); ` +
        `target read as ${TARGET_MIB} MiB (= ${((TARGET_MIB * 2 ** 20) / 1e6).toFixed(0)} MB).`,
    );

    await bareSharpMemory(ctx, firstBatch);
  },
};

/**
 * For scale: the same photos through bare sharp in a process that holds nothing else, with as
 * many in flight as the worker has image threads. What this peaks at is what libvips needs for
 * the pixels; what the worker adds on top is the service's own.
 */
async function bareSharpMemory(ctx: BenchContext, photos: Buffer[]): Promise<void> {
  const defaults = loadConfig({}, { services: [] });
  const inFlight = defaults.INGEST_IMAGE_THREADS;
  const dir = mkdtempSync(join(tmpdir(), 'spx-bench-rss-'));
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
  const files = photos.map((bytes, i) => {
    const file = join(dir, `photo-${i}.jpg`);
    writeFileSync(file, bytes);
    return file;
  });

  ctx.log('starting a bare-sharp process for comparison');
  const child = fork(BARE_SHARP_JS, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  ctx.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const next = () =>
    new Promise<{ type: string; ms?: number; message?: string }>((resolve, reject) => {
      const onExit = () => reject(new Error('the bare-sharp process exited'));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as { type: string; ms?: number; message?: string });
      });
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`bare-sharp process: unexpected ${JSON.stringify(ready)}`);

  const sampler = new MemorySampler(child.pid!, 50).start();
  ctx.defer(() => sampler.stop());
  const idle = await sampler.idle(IDLE_SETTLE_MS, IDLE_SAMPLE_MS);
  const peaks: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const { value: answer, peakMiB } = await sampler.during(async () => {
      const answer = next();
      child.send({ type: 'run', files, inFlight, maxInputPixels: defaults.INGEST_MAX_INPUT_PIXELS });
      return answer;
    });
    if (answer.type !== 'done') throw new Error(`bare-sharp process failed: ${answer.message ?? JSON.stringify(answer)}`);
    peaks.push(peakMiB);
  }
  sampler.stop();
  child.send({ type: 'exit' });
  await exited;

  ctx.record({
    metric: 'bare sharp peak RSS',
    unit: 'MiB',
    better: 'lower',
    subject: { label: `node + sharp only, same ${PHOTOS} photos ×${BATCHES}, ${inFlight} in flight`, stats: summarize(peaks, 'lower') },
    baseline: { label: 'same process idle (sharp loaded)', stats: summarize(idle, 'lower') },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls the database until every item of `ids` has left `uploaded`; returns the count per status. */
async function waitForItems(
  orm: Awaited<ReturnType<typeof openOrm>>,
  orgId: string,
  ids: string[],
  worker: ServiceProcess,
): Promise<Record<string, number>> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const items = await emForOrg(orm, orgId).find(Item, { id: { $in: ids } }, { fields: ['status'] });
    const statuses: Record<string, number> = {};
    for (const item of items) statuses[item.status] = (statuses[item.status] ?? 0) + 1;
    if ((statuses.uploaded ?? 0) === 0 && items.length === ids.length) return statuses;
    if (worker.exited()) throw new Error(`the ingest worker exited mid-run:\n${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`items still outstanding after ${DRAIN_TIMEOUT_MS} ms: ${JSON.stringify(statuses)}`);
    await sleep(100);
  }
}
