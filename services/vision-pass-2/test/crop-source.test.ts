import { randomUUID } from 'node:crypto';
import { itemObjectKey, ObjectStore } from '@sessionpix/storage';
import { type S3TestHarness, startS3TestHarness } from '@sessionpix/testing';
import sharp from 'sharp';
import { readCropSource } from '../src/crop-source';

const ORG = randomUUID();
const MASTER = { width: 4000, height: 3000 };
const HALF = { width: 2000, height: 1500 };
/** One device over about half the frame: its crop needs no more than the half-size master. */
const ONE_DEVICE = [{ bbox: { x: 0.1, y: 0.1, w: 0.8, h: 0.6 } }];
/** Rack units: 1568 px across from about 2700 needs the master. */
const RACK = [0, 1, 2, 3].map((i) => ({ bbox: { x: 0.2, y: 0.08 + i * 0.22, w: 0.6, h: 0.18 } }));

const jpeg = (size: { width: number; height: number }) =>
  sharp({ create: { ...size, channels: 3, background: { r: 90, g: 120, b: 150 } } }).jpeg().toBuffer();

describe('pass 2 crop source', () => {
  let h: S3TestHarness;
  let store: ObjectStore;
  let master: Buffer;
  let half: Buffer;

  beforeAll(async () => {
    h = await startS3TestHarness('spx-crop-source');
    store = new ObjectStore({ bucket: h.bucket, region: 'us-east-1', endpoint: h.endpoint, forcePathStyle: true, sse: 'AES256', credentials: h.credentials });
    [master, half] = await Promise.all([jpeg(MASTER), jpeg(HALF)]);
  });

  afterAll(async () => {
    store?.destroy();
    await h?.close();
  });

  async function storedItem(kinds: Array<'master' | 'masterHalf'>) {
    const itemId = randomUUID();
    for (const kind of kinds) {
      await store.putObject(itemObjectKey(ORG, itemId, kind), kind === 'master' ? master : half, { contentType: 'image/jpeg' });
    }
    h.proxy.clear();
    return { orgId: ORG, itemId, master: MASTER };
  }
  const objectsRead = () =>
    h.proxy.requests.filter((r) => r.method === 'GET').map((r) => new URL(r.url, 'http://s3').pathname.split('/').pop());

  it('reads only the half-size master when every crop needs no more', async () => {
    const source = await readCropSource(store, await storedItem(['master', 'masterHalf']), ONE_DEVICE);
    expect(source?.size).toEqual(HALF);
    expect(source?.bytes.equals(half)).toBe(true);
    expect(objectsRead()).toEqual(['master-half.jpg']);
  });

  it('reads the master when one crop needs its detail', async () => {
    const source = await readCropSource(store, await storedItem(['master', 'masterHalf']), [...ONE_DEVICE, ...RACK]);
    expect(source?.size).toEqual(MASTER);
    expect(objectsRead()).toEqual(['master.jpg']);
  });

  it('falls back to the master for a photo stored without a half-size copy', async () => {
    const warnings: string[] = [];
    const source = await readCropSource(store, await storedItem(['master']), ONE_DEVICE, { warn: (m: string) => warnings.push(m) });
    expect(source?.size).toEqual(MASTER);
    expect(source?.bytes.equals(master)).toBe(true);
    expect(objectsRead()).toEqual(['master-half.jpg', 'master.jpg']);
    expect(warnings).toEqual([]);
  });

  it('is null, with a warning, when the item has no master at all', async () => {
    const warnings: string[] = [];
    const item = await storedItem([]);
    expect(await readCropSource(store, item, RACK, { warn: (m: string) => warnings.push(m) })).toBeNull();
    expect(warnings).toEqual([`item ${item.itemId} has no master: pass 2 reads the overview only`]);
  });
});
