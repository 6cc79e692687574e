import { applyStatus, Collection, emForOrg, Item } from '@sessionpix/db';
import { JobProducer, OutstandingSweeper } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore } from '@sessionpix/storage';
import { eventually } from '@sessionpix/testing';
import sharp from 'sharp';
import type { TestOrg } from '../../gateway/test/helpers';
import { type Stack, startStack } from '../../gateway/test/stack';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DONE = ['paused', 'rejected', 'failed'];

describe('the sweeper: work the database says is outstanding but no queue holds', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let jpeg: Buffer;

  /** An item left in `status` ten minutes ago, as after a Redis flush: no job anywhere. */
  async function strandedItem(status: 'uploaded' | 'ingested', opts: { deleted?: boolean; ageMs?: number } = {}): Promise<string> {
    const em = emForOrg(stack.orm, org.orgId);
    const item = em.create(Item, { org: org.orgId, collection: em.getReference(Collection, collectionId), originalFilename: 'lost.jpg' });
    applyStatus(item, { status }, new Date(Date.now() - (opts.ageMs ?? 10 * MINUTE)));
    if (opts.deleted) item.deletedAt = new Date();
    await em.flush();
    const store = stack.proc.app.get(ObjectStore);
    if (status === 'uploaded') {
      await store.putObject(itemObjectKey(org.orgId, item.id, 'original'), jpeg, { contentType: 'application/octet-stream' });
    } else {
      // Past ingest: renditions exist and the row knows the size.
      for (const kind of ['master', 'analysis'] as const) {
        await store.putObject(itemObjectKey(org.orgId, item.id, kind), jpeg, { contentType: 'image/jpeg' });
      }
      await em.nativeUpdate(Item, { id: item.id }, { width: 320, height: 240 });
    }
    return item.id;
  }

  const run = async (id: string) => (await stack.itemRow(org.orgId, id))!.run;

  beforeAll(async () => {
    // The process's own sweeps (at start-up, then scheduled) only look at items a day old, so
    // they never race the sweeps this file runs by hand with a one-minute grace.
    stack = await startStack('ingestsweeper', { SWEEP_GRACE_SECONDS: String(DAY / 1000) });
    org = await stack.newOrg('Lost And Found Audio');
    collectionId = await stack.newCollection(org);
    jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#447744' } }).jpeg().toBuffer();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('re-enqueues a stranded item with run + 1, and it finishes; live jobs and tombstones are left alone', async () => {
    const uploaded = await strandedItem('uploaded');
    const ingested = await strandedItem('ingested');
    const deleted = await strandedItem('uploaded', { deleted: true });
    // Outstanding too, but its job is still held (delayed): the sweeper must not add a second one.
    const held = await strandedItem('uploaded');
    const producer = stack.proc.app.get(JobProducer);
    await producer.enqueue('ingest', { v: 1, orgId: org.orgId, itemId: held, run: 0 }, { delay: 3_600_000 });

    const report = await stack.proc.app.get(OutstandingSweeper).sweep(MINUTE);
    expect(report.requeued).toBe(2);
    expect(report.examined).toBe(3);
    expect(await run(uploaded)).toBe(1);
    expect(await run(ingested)).toBe(1);
    expect(await run(held)).toBe(0);
    expect(await run(deleted)).toBe(0);
    // Each re-enqueue is a fresh job id that names the new run.
    expect(await producer.queue('ingest').getJob(`ingest-${uploaded}-1`)).toBeDefined();
    expect(await producer.queue('vision-pass-1').getJob(`vision-pass-1-${ingested}-1`)).toBeDefined();

    const done = await stack.waitForStatus(org, uploaded, DONE);
    expect(done).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured', width: 320, height: 240 });
    expect(Object.keys(done.renditions).sort()).toEqual(['analysis', 'master', 'thumbnail']);
    expect(await stack.waitForStatus(org, ingested, DONE)).toMatchObject({ status: 'paused' });
    expect((await stack.itemRow(org.orgId, held))!.status).toBe('uploaded');
    expect((await stack.itemRow(org.orgId, deleted))!.status).toBe('uploaded');
  });

  it('a second sweep right after finds nothing to do', async () => {
    const report = await stack.proc.app.get(OutstandingSweeper).sweep(MINUTE);
    expect(report.requeued).toBe(0);
  });

  it('runs from the maintenance queue, as scheduled', async () => {
    const id = await strandedItem('uploaded', { ageMs: 2 * DAY });
    await stack.proc.app.get(JobProducer).enqueue('maintenance', { v: 1, task: 'sweep-outstanding', slot: 'test-sweep' });
    await eventually(async () => ((await run(id)) === 1 ? true : undefined), 15_000, 'the scheduled sweep to claim the item');
    expect(await stack.waitForStatus(org, id, DONE)).toMatchObject({ status: 'paused' });
  });

  // Last in the file: it leaves many delayed jobs behind.
  it('looks past a full batch of older items whose jobs are still waiting (a bulk upload)', async () => {
    const em = emForOrg(stack.orm, org.orgId);
    const collection = em.getReference(Collection, collectionId);
    const waiting: Item[] = [];
    // More than the sweeper reads per batch (500), all older than the stranded one.
    for (let i = 0; i < 520; i++) {
      const item = em.create(Item, { org: org.orgId, collection, originalFilename: `bulk-${i}.jpg` });
      applyStatus(item, { status: 'uploaded' }, new Date(Date.now() - 20 * MINUTE));
      waiting.push(item);
    }
    await em.flush();
    await stack.proc.app
      .get(JobProducer)
      .queue('ingest')
      .addBulk(
        waiting.map((w) => ({
          name: 'ingest',
          data: { v: 1, orgId: org.orgId, itemId: w.id, run: 0 },
          opts: { jobId: `ingest-${w.id}-0`, delay: 3_600_000 },
        })),
      );
    const stranded = await strandedItem('uploaded');

    const report = await stack.proc.app.get(OutstandingSweeper).sweep(MINUTE);
    expect(report.requeued).toBe(1);
    expect(report.examined).toBeGreaterThan(520);
    expect(await run(stranded)).toBe(1);
    expect(await stack.waitForStatus(org, stranded, DONE)).toMatchObject({ status: 'paused' });
  });
});
