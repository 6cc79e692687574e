import type { AppConfig } from '@sessionpix/config';
import { ImagePool } from '../src/image-pool.provider';

describe('ImagePool slots: uploads held in memory at once', () => {
  let images: ImagePool;

  beforeAll(() => {
    images = new ImagePool({ INGEST_IMAGE_THREADS: 1, INGEST_MAX_INPUT_PIXELS: 50_000_000 } as AppConfig);
  });

  afterAll(async () => {
    await images?.onModuleDestroy();
  });

  it('lets one job per image thread plus one waiting hold an upload, the rest in arrival order', async () => {
    let holding = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const jobs = [0, 1, 2, 3, 4].map((n) =>
      images.withSlot(async () => {
        started.push(n);
        holding += 1;
        most = Math.max(most, holding);
        await new Promise<void>((resolve) => releases.push(resolve));
        holding -= 1;
        return n;
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([0, 1]);
    while (started.length < 5 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the slot when the work fails', async () => {
    await expect(images.withSlot(() => Promise.reject(new Error('unreadable')))).rejects.toThrow('unreadable');
    await expect(images.withSlot(() => Promise.reject(new Error('again')))).rejects.toThrow('again');
    expect(await Promise.all([images.withSlot(async () => 'a'), images.withSlot(async () => 'b'), images.withSlot(async () => 'c')])).toEqual(['a', 'b', 'c']);
  });
});
