import { emForSystem, PurgeRecord } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import { eventually } from '@sessionpix/testing';
import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { type Stack, startStack } from './stack';

const DONE = ['paused', 'rejected', 'failed'];

describe('DELETE /v1/items/{id}', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;

  const photo = (width: number, seed: number) =>
    sharp({ create: { width, height: Math.round(width * 0.75), channels: 3, background: { r: seed, g: 60, b: 90 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .jpeg()
      .toBuffer();
  const uploadOne = async (bytes: Buffer) =>
    (await stack.upload(org, collectionId, [{ name: 'p.jpg', bytes }]).expect(202)).body.items[0].id as string;
  const purgeRecords = (itemId: string) =>
    emForSystem(stack.orm).find(PurgeRecord, { subjectId: itemId });

  beforeAll(async () => {
    stack = await startStack('itemsdelete');
    org = await stack.newOrg('Delete Me Ltd');
    collectionId = await stack.newCollection(org);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('takes the item out of every read at once, then removes every object and records the purge', async () => {
    const id = await uploadOne(await photo(800, 10));
    await stack.waitForStatus(org, id, DONE);
    expect(await stack.itemKeys(org.orgId, id)).toHaveLength(4); // master, its half-size copy, analysis, thumbnail

    await stack.http.delete(`/v1/items/${id}`).set(auth(org)).expect(204);
    await stack.http.get(`/v1/items/${id}`).set(auth(org)).expect(404);
    const list = await stack.http.get(`/v1/collections/${collectionId}/items`).set(auth(org)).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(id);

    const [record] = await eventually(async () => {
      const rows = await purgeRecords(id);
      return rows.length > 0 ? rows : undefined;
    });
    expect(record).toMatchObject({ orgId: org.orgId, subject: 'item', subjectId: id, objectsRemoved: 4, rowsRemoved: 1 });
    expect(await stack.itemKeys(org.orgId, id)).toEqual([]);
    expect(await stack.itemRow(org.orgId, id)).toBeNull();
    await stack.http.delete(`/v1/items/${id}`).set(auth(org)).expect(404);
  });

  it('another org cannot delete it', async () => {
    const id = await uploadOne(await photo(400, 20));
    const other = await stack.newOrg('Not The Owner');
    await stack.http.delete(`/v1/items/${id}`).set(auth(other)).expect(404);
    expect((await stack.waitForStatus(org, id, DONE)).status).toBe('paused');
  });

  it('deleting the first of two copies leaves the other copy whole', async () => {
    const bytes = await photo(600, 30);
    const first = await uploadOne(bytes);
    await stack.waitForStatus(org, first, DONE);
    const second = await uploadOne(bytes);
    expect((await stack.waitForStatus(org, second, DONE)).sourceItemId).toBe(first);
    await stack.http.delete(`/v1/items/${first}`).set(auth(org)).expect(204);
    await eventually(async () => ((await purgeRecords(first)).length > 0 ? true : undefined));
    const copy = await stack.getItem(org, second);
    expect(copy).toMatchObject({ status: 'paused', sourceItemId: null });
    expect(await stack.itemKeys(org.orgId, second)).toHaveLength(4);
  });

  it('an item deleted while ingest is still working on it leaves no object behind', async () => {
    const id = await uploadOne(await photo(4000, 40));
    await stack.http.delete(`/v1/items/${id}`).set(auth(org)).expect(204);
    await eventually(async () => ((await purgeRecords(id)).length > 0 ? true : undefined));
    // Once the ingest job that was running has finished, nothing of the item may remain.
    const ingest = stack.proc.app.get(JobProducer).queue('ingest');
    const outcome = await eventually(async () => {
      const state = await (await ingest.getJob(`ingest-${id}-0`))?.getState();
      return state === 'completed' || state === 'failed' ? state : undefined;
    });
    expect(outcome).toBe('completed');
    expect(await stack.itemKeys(org.orgId, id)).toEqual([]);
    expect(await stack.itemRow(org.orgId, id)).toBeNull();
  });
});
