import { applyStatus, Collection, emForOrg, Item, type StatusChange } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore, StorageError } from '@sessionpix/storage';
import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { type Stack, startStack } from './stack';

const DONE = ['paused', 'rejected', 'failed'];

describe('POST /v1/items/{id}/retry', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let jpeg: Buffer;

  /** An item put straight into `change` (as a failed step leaves it); `withOriginal` stores the raw upload. */
  async function seedItem(change: StatusChange, opts: { withOriginal?: boolean; width?: number } = {}): Promise<string> {
    const em = emForOrg(stack.orm, org.orgId);
    const item = em.create(Item, {
      org: org.orgId,
      collection: em.getReference(Collection, collectionId),
      originalFilename: 'retry.jpg',
      width: opts.width ?? null,
      height: opts.width ? Math.round(opts.width * 0.75) : null,
    });
    applyStatus(item, change);
    await em.flush();
    if (opts.withOriginal) {
      await stack.proc.app.get(ObjectStore).putObject(itemObjectKey(org.orgId, item.id, 'original'), jpeg, {
        contentType: 'application/octet-stream',
      });
    }
    return item.id;
  }

  const retry = (id: string, status: number) => stack.http.post(`/v1/items/${id}/retry`).set(auth(org)).expect(status);

  beforeAll(async () => {
    stack = await startStack('itemsretry');
    org = await stack.newOrg('Second Chance Studio');
    collectionId = await stack.newCollection(org);
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } }).jpeg().toBuffer();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a retryable ingest failure goes through ingest again, with a new run', async () => {
    const id = await seedItem(
      { status: 'failed', reasonCode: 'ingest_failed', reason: 'The photo could not be processed.', retryable: true },
      { withOriginal: true },
    );
    const res = await retry(id, 202);
    expect(res.body).toMatchObject({ id, status: 'uploaded', reasonCode: null, reason: null, retryable: false });
    const done = await stack.waitForStatus(org, id, DONE);
    expect(done).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured', width: 640, height: 480 });
    expect(Object.keys(done.renditions).sort()).toEqual(['analysis', 'master', 'thumbnail']);
    expect((await stack.itemRow(org.orgId, id))!.run).toBe(1);
    expect((await stack.itemKeys(org.orgId, id)).some((k) => k.endsWith('/original'))).toBe(false);
  });

  it('S3 failing on ingest’s last attempt leaves the item failed and retryable; retry then succeeds', async () => {
    const id = await seedItem({ status: 'uploaded' }, { withOriginal: true });
    const store = stack.proc.app.get(ObjectStore);
    const read = vi
      .spyOn(store, 'getObjectBuffer')
      .mockRejectedValueOnce(new StorageError('S3 GetObject failed with ServiceUnavailable (HTTP 503)', { code: 'ServiceUnavailable', operation: 'GetObject', httpStatus: 503, retryable: true }));
    try {
      // One attempt only, so that attempt is the last one (the queue's own backoff is not under test).
      await stack.proc.app.get(JobProducer).queue('ingest').add('ingest', { v: 1, orgId: org.orgId, itemId: id, run: 0 }, { jobId: `ingest-${id}-0`, attempts: 1 });
      const failed = await stack.waitForStatus(org, id, DONE);
      expect(failed).toMatchObject({ status: 'failed', reasonCode: 'ingest_failed', retryable: true, renditions: {} });
      expect(failed.reason).toMatch(/^[A-Z].+\.$/);
    } finally {
      read.mockRestore();
    }
    await retry(id, 202);
    expect(await stack.waitForStatus(org, id, DONE)).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured' });
    expect((await stack.itemRow(org.orgId, id))!.run).toBe(1);
  });

  it('a failure after ingest restarts from the vision pass, not from the upload', async () => {
    const id = await seedItem(
      { status: 'failed', reasonCode: 'vision_failed', reason: 'The analysis failed.', retryable: true },
      { width: 640 },
    );
    const res = await retry(id, 202);
    expect(res.body.status).toBe('ingested');
    expect(await stack.waitForStatus(org, id, DONE)).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured' });
  });

  it('a failure that would repeat is a 409 that says why', async () => {
    const id = await seedItem({ status: 'failed', reasonCode: 'quota_exceeded', reason: 'The plan’s photo quota is used up.', retryable: false });
    const res = await retry(id, 409);
    expect(res.body).toMatchObject({ status: 409, code: 'not_retryable', detail: expect.stringContaining('quota is used up') });
    expect((await stack.itemRow(org.orgId, id))!.status).toBe('failed');
  });

  it('an item that has not failed is a 409 naming its status', async () => {
    const upload = await stack.upload(org, collectionId, [{ name: 'ok.jpg', bytes: jpeg }]).expect(202);
    const paused = await stack.waitForStatus(org, upload.body.items[0].id, DONE);
    const res = await retry(paused.id, 409);
    expect(res.body).toMatchObject({ status: 409, code: 'not_failed', detail: expect.stringContaining('paused') });

    const rejected = await seedItem({ status: 'rejected', reasonCode: 'unsupported_type', reason: 'Not a photo.', retryable: false });
    expect((await retry(rejected, 409)).body.code).toBe('not_failed');
  });

  it('another org’s item is a 404', async () => {
    const id = await seedItem({ status: 'failed', reasonCode: 'ingest_failed', reason: 'x', retryable: true });
    const other = await stack.newOrg('Someone Else');
    await stack.http.post(`/v1/items/${id}/retry`).set(auth(other)).expect(404);
  });
});
