/**
 * Redis holds only work in flight; PostgreSQL is the truth. When every queue key vanishes
 * mid-run (a flush, a failover to an empty replica), the sweeper finds the items the database
 * says are outstanding and enqueues them again, and the run finishes by itself.
 */
import { eventually } from '@sessionpix/testing';
import { recallModel } from './support/answers';
import { distinctJpeg } from './support/images';
import { ALL_SERVICES, ApiClient, deletePrefixKeys, type Edges, startEdges, startSystem, type System } from './support/system';

const PHOTOS = 10;

describe('a Redis flush mid-run', () => {
  let edges: Edges;
  let system: System;
  let api: ApiClient;

  beforeAll(async () => {
    edges = await startEdges('flush', { responder: recallModel().responder, delayMs: 300 });
    system = await startSystem(edges, ALL_SERVICES, { VISION_PASS1_CONCURRENCY: '2', VISION_PASS2_CONCURRENCY: '2' });
    api = new ApiClient(system);
  });

  afterAll(async () => {
    await system?.close();
    await edges?.close();
  });

  it('loses the queued jobs, and the sweeper finishes the work: every item analyzed, each pass once', { timeout: 90_000 }, async () => {
    const org = await api.newOrg('Flush Studio');
    const collectionId = await api.newCollection(org, 'Flush session');
    const files = await Promise.all(Array.from({ length: PHOTOS }, async (_, i) => ({ name: `f${i}.jpg`, bytes: await distinctJpeg(500 + i) })));
    const ids = await api.upload(org, collectionId, files);

    // Wait until the run is under way, then delete every key of this test's queue prefix.
    await eventually(async () => {
      const items = await api.items(org, collectionId);
      return items.some((i) => i.status === 'identified' || i.status === 'analyzed') ? true : undefined;
    }, 30_000, 'the first item to pass pass 1');
    expect(await deletePrefixKeys(edges.prefix)).toBeGreaterThan(0);
    const atFlush = await api.items(org, collectionId);
    expect(atFlush.filter((i) => i.status === 'analyzed').length).toBeLessThan(PHOTOS);

    const after = await api.settle(org, collectionId, PHOTOS, ['analyzed', 'failed', 'rejected'], 60_000);
    expect(after.map((i) => i.status)).toEqual(Array(PHOTOS).fill('analyzed'));

    // Lost jobs came back through the sweeper, which bumps the run of what it re-enqueues.
    const runs = await edges.sql<{ run: number }>('select run from item where id = any($1)', [ids]);
    expect(runs.some((r) => r.run > 0)).toBe(true);
    const analyses = await edges.sql<{ item_id: string; pass: number; n: string }>(
      'select item_id, pass, count(*) as n from analysis group by item_id, pass order by item_id, pass',
    );
    expect(analyses).toEqual(
      [...ids].sort().flatMap((id) => [
        { item_id: id, pass: 1, n: '1' },
        { item_id: id, pass: 2, n: '1' },
      ]),
    );
  });
});
