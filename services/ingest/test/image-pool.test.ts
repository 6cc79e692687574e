import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_INPUT_PIXELS,
  ImageProcessorPool,
  ImageRejectedError,
  ImageWorkerError,
} from '../src/image';
import { panelHeic } from './helpers/heif';
import { pngClaiming } from './helpers/hostile';
import { type WorkerBuild, buildImageWorker } from './helpers/worker-build';

const maxInputPixels = DEFAULT_MAX_INPUT_PIXELS;

async function photo(width = 800, height = 600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#787878', noise: { type: 'gaussian', mean: 120, sigma: 30 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function marker(text: 'CRASH' | 'THROW' | 'HANG!' | 'TID??'): Buffer {
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(64)]);
}

describe('ImageProcessorPool on worker threads', () => {
  let build: WorkerBuild;
  const pools: ImageProcessorPool[] = [];
  const pool = (options: Partial<ConstructorParameters<typeof ImageProcessorPool>[0]> = {}) => {
    const p = new ImageProcessorPool({ size: 1, maxInputPixels, workerFile: build.workerFile, ...options });
    pools.push(p);
    return p;
  };

  beforeAll(() => {
    build = buildImageWorker();
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    build?.cleanup();
  });

  it('processes a JPEG and a HEIC in a thread', async () => {
    const p = pool({ size: 2 });
    const [jpeg, heic] = await Promise.all([p.run(await photo()), p.run(panelHeic())]);
    expect(Buffer.isBuffer(jpeg.master)).toBe(true);
    expect([jpeg.sourceType, jpeg.masterWidth, jpeg.masterHeight]).toEqual(['jpeg', 600, 800]);
    const meta = await sharp(jpeg.master).metadata();
    expect([meta.width, meta.height, meta.orientation, meta.exif]).toEqual([600, 800, undefined, undefined]);
    expect((await sharp(jpeg.thumbnail).metadata()).format).toBe('webp');
    expect([heic.sourceType, heic.masterWidth, heic.thumbWidth]).toEqual(['heic', 640, 320]);
  });

  it('queues more jobs than threads and finishes them all', async () => {
    const p = pool({ size: 2 });
    const input = await photo(300, 200);
    const results = await Promise.all(Array.from({ length: 5 }, () => p.run(input)));
    expect(results.map((r) => r.masterWidth)).toEqual([200, 200, 200, 200, 200]);
    expect(p.stats()).toEqual({ threads: 2, busy: 0, queued: 0 });
  });

  it('brings a rejection back as ImageRejectedError with its code and reason', async () => {
    const p = pool();
    const bomb = await p.run(pngClaiming(100_000, 100_000)).catch((e: unknown) => e);
    expect(bomb).toBeInstanceOf(ImageRejectedError);
    expect(bomb).toMatchObject({ reasonCode: 'too_many_pixels', retryable: false });
    expect((bomb as ImageRejectedError).reason).toMatch(/megapixels/);

    const pdf = await p.run(Buffer.from('%PDF-1.7\n')).catch((e: unknown) => e);
    expect(pdf).toBeInstanceOf(ImageRejectedError);
    expect(pdf).toMatchObject({ reasonCode: 'unsupported_type' });
  });

  it('copies the input by default and moves it when asked', async () => {
    const p = pool();
    const kept = await photo(64, 64);
    await p.run(kept);
    expect(kept.length).toBeGreaterThan(0);

    const moved = Buffer.from(new Uint8Array(await photo(64, 64)).buffer); // owns its whole ArrayBuffer
    const result = await p.run(moved, { transferInput: true });
    expect(moved.length).toBe(0);
    expect(result.masterWidth).toBe(64);

    // A small Buffer is a slice of Node's shared pool: moving it would break its neighbours.
    const pooled = Buffer.from(await photo(16, 16));
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
    await p.run(pooled, { transferInput: true });
    expect(pooled.length).toBeGreaterThan(0);
  });

  it('fails only the job whose thread died, and replaces the thread', async () => {
    const p = pool({ size: 1, workerFile: build.misbehavingWorkerFile });
    await p.run(await photo(64, 64)); // the thread is up and has worked

    const crash = await p.run(marker('CRASH')).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(ImageWorkerError);
    expect(crash).toMatchObject({ code: 'worker_crashed', retryable: true });
    expect((crash as Error).message).toMatch(/exited unexpectedly \(exit code 13\)/);

    expect(p.stats().threads).toBe(1); // replaced at once
    const after = await p.run(await photo(64, 64));
    expect(after.masterWidth).toBe(64);

    const thrown = await p.run(marker('THROW')).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: 'worker_crashed' });
    expect((thrown as Error).message).toMatch(/deliberate failure inside the worker thread/);
    expect((await p.run(await photo(32, 32))).masterWidth).toBe(32);
  });

  it('does not fail queued jobs when the thread ahead of them dies', async () => {
    const p = pool({ size: 1, workerFile: build.misbehavingWorkerFile });
    const input = await photo(64, 64);
    const [crash, next] = await Promise.allSettled([p.run(marker('CRASH')), p.run(input)]);
    expect(crash.status).toBe('rejected');
    expect(next.status).toBe('fulfilled');
  });

  it('ends a job that runs past the time limit and keeps serving', async () => {
    // Long enough for a fresh thread to start and finish a tiny photo on a loaded machine.
    const p = pool({ size: 1, workerFile: build.misbehavingWorkerFile, taskTimeoutMs: 2_000 });
    const hung = await p.run(marker('HANG!')).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(ImageWorkerError);
    expect(hung).toMatchObject({ code: 'timeout' });
    expect((await p.run(await photo(32, 32))).masterWidth).toBe(32);
  });

  it('replaces a thread once it has decoded a HEIC, since WebAssembly memory never shrinks', async () => {
    const p = pool({ size: 1, workerFile: build.misbehavingWorkerFile });
    const thread = async () => ((await p.run(marker('TID??')).catch((e: unknown) => e)) as Error).message;
    const first = await thread();
    expect(first).toMatch(/thread \d+/);
    await p.run(await photo(64, 64));
    expect(await thread()).toBe(first);
    expect((await p.run(panelHeic())).sourceType).toBe('heic');
    expect(await thread()).not.toBe(first);
    expect(p.stats()).toEqual({ threads: 1, busy: 0, queued: 0 });
  });

  it('lets running jobs finish on close, fails queued ones, then refuses work', async () => {
    const p = new ImageProcessorPool({ size: 1, maxInputPixels, workerFile: build.workerFile });
    const input = await photo(1200, 900);
    const running = p.run(input);
    const queued = p.run(input);
    await new Promise((r) => setImmediate(r));
    const closed = p.close();
    await expect(running).resolves.toMatchObject({ masterWidth: 900 });
    await expect(queued).rejects.toMatchObject({ code: 'pool_closed' });
    await closed;
    await expect(p.run(input)).rejects.toMatchObject({ code: 'pool_closed' });
    expect(p.stats().threads).toBe(0);
  });

  it('explains a missing worker script instead of spawning a thread that dies', () => {
    expect(() => new ImageProcessorPool({ size: 1, maxInputPixels })).toThrow(/worker script not found.*inProcess/);
    expect(() => new ImageProcessorPool({ size: 0, maxInputPixels, inProcess: true })).toThrow(RangeError);
  });
});

describe('ImageProcessorPool in process', () => {
  it('runs the same work on the calling thread', async () => {
    const p = new ImageProcessorPool({ size: 1, maxInputPixels, inProcess: true });
    const out = await p.run(await photo(100, 50));
    expect([out.masterWidth, out.masterHeight]).toEqual([50, 100]);
    await expect(p.run(Buffer.alloc(0))).rejects.toMatchObject({ reasonCode: 'empty_file' });
    await p.close();
    await expect(p.run(await photo(10, 10))).rejects.toBeInstanceOf(ImageWorkerError);
  });
});
