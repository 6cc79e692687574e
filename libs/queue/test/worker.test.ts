import type { AppConfig } from '@sessionpix/config';
import { Collection, emForOrg, emForSystem, Item, MikroORM, Organization } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import type { RunningProcess } from '@sessionpix/runtime';
import {
  createTestDatabase,
  eventually,
  type S3TestHarness,
  s3TestEnv,
  startS3TestHarness,
  startTestProcess,
  type TestDatabase,
  testConfig,
} from '@sessionpix/testing';
import { visionPass1Service } from '@sessionpix/vision-pass-1';
import { Queue } from 'bullmq';

describe('workers', () => {
  let db: TestDatabase;
  let s3: S3TestHarness;
  let config: AppConfig;
  let proc: RunningProcess;
  let queue: Queue;

  beforeAll(async () => {
    db = await createTestDatabase('worker');
    s3 = await startS3TestHarness('spx-worker');
    config = testConfig({
      DATABASE_URL: db.url,
      SESSIONPIX_SERVICES: 'vision-pass-1',
      VISION_ENABLED: 'false',
      ...s3TestEnv(s3),
    });
    proc = await startTestProcess(config, [visionPass1Service]);
    queue = new Queue('vision-pass-1', { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true });
    await queue?.close();
    await proc?.close();
    await s3?.close();
    await db?.drop();
  });

  it('fails a malformed payload once, with a clear reason, and keeps working', async () => {
    const bad = await queue.add('vision-pass-1', { v: 1, orgId: 'not-a-uuid', itemId: 42 }, { attempts: 5 });
    const failed = await eventually(async () => {
      const job = await queue.getJob(bad.id!);
      return (await job?.getState()) === 'failed' ? job : undefined;
    });
    expect(failed?.failedReason).toMatch(/invalid vision-pass-1 job payload: .*orgId: Invalid UUID/);
    expect(failed?.failedReason).toMatch(/itemId/);
    expect(failed?.failedReason).toMatch(/run/);
    expect(failed?.attemptsMade).toBe(1);

    // The same worker still processes a good job.
    const orm = proc.app.get<MikroORM>(MikroORM);
    const sys = emForSystem(orm);
    const org = sys.create(Organization, { name: 'Worker Org' });
    await sys.flush();
    const em = emForOrg(orm, org.id);
    const collection = em.create(Collection, { org: org.id, name: 'c' });
    const item = em.create(Item, { org: org.id, collection, status: 'ingested' });
    await em.flush();
    await proc.app.get(JobProducer).enqueue('vision-pass-1', { v: 1, orgId: org.id, itemId: item.id, run: 0 });
    const paused = await eventually(async () => {
      const row = await emForOrg(orm, org.id).findOne(Item, item.id);
      return row?.status === 'paused' ? row : undefined;
    });
    expect(paused.reasonCode).toBe('vision_not_configured');
  });

  it('gives every job a deterministic id, so a repeated enqueue is one job', async () => {
    const producer = proc.app.get(JobProducer);
    const payload = { v: 1 as const, orgId: crypto.randomUUID(), itemId: crypto.randomUUID(), run: 3 };
    const first = await producer.enqueue('vision-pass-1', payload);
    const second = await producer.enqueue('vision-pass-1', payload);
    expect(first).toBe(`vision-pass-1-${payload.itemId}-3`);
    expect(second).toBe(first);
  });

  it('refuses to enqueue an invalid payload', async () => {
    const producer = proc.app.get(JobProducer);
    await expect(
      producer.enqueue('vision-pass-1', { v: 1, orgId: 'x', itemId: crypto.randomUUID(), run: 0 }),
    ).rejects.toThrow(/refusing to enqueue an invalid vision-pass-1 payload: orgId/);
  });
});
