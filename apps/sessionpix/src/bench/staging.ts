import { Collection, emForOrg, emForSystem, Item, type MikroORM, Organization } from '@sessionpix/db';
import type { JobProducer } from '@sessionpix/queue';
import { itemObjectKey, type ObjectStore } from '@sessionpix/storage';

export interface StagedOrg {
  orgId: string;
  collectionId: string;
}

export async function createOrgWithCollection(orm: MikroORM, name: string): Promise<StagedOrg> {
  const em = emForSystem(orm);
  const org = em.create(Organization, { name });
  await em.flush();
  const collection = em.create(Collection, { org: org.id, name: `${name} photos` });
  await em.flush();
  return { orgId: org.id, collectionId: collection.id };
}

/**
 * What the gateway leaves behind for one accepted photo, minus the job: the raw upload at
 * `orgs/{org}/items/{item}/original` and an `uploaded` Item row.
 */
export async function stageUpload(orm: MikroORM, store: ObjectStore, where: StagedOrg, bytes: Buffer, filename: string): Promise<string> {
  const em = emForOrg(orm, where.orgId);
  const item = em.create(Item, { org: where.orgId, collection: where.collectionId, originalFilename: filename });
  await store.putObject(itemObjectKey(where.orgId, item.id, 'original'), bytes, { contentType: 'application/octet-stream' });
  await em.flush();
  return item.id;
}

/** The ingest job the gateway would enqueue (id `ingest-{item}-0`). */
export function enqueueIngest(producer: JobProducer, orgId: string, itemId: string): Promise<string> {
  return producer.enqueue('ingest', { v: 1, orgId, itemId, run: 0 });
}

export interface FinishedJob {
  id: string;
  /** Worker time: from the worker taking the job to the job's completion (BullMQ timestamps). */
  workerMs: number;
  result: unknown;
}

/** Waits for a job to finish; throws if it failed or takes longer than `timeoutMs`. */
export async function waitForJob(producer: JobProducer, jobId: string, timeoutMs = 120_000): Promise<FinishedJob> {
  const queue = producer.queue('ingest');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(jobId);
    // Any failed attempt spoils the measurement, even one BullMQ would retry.
    if (job?.failedReason) throw new Error(`job ${jobId} failed: ${job.failedReason}`);
    if (job?.finishedOn && job.processedOn) {
      return { id: jobId, workerMs: job.finishedOn - job.processedOn, result: job.returnvalue };
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
