import { Inject, Injectable, Logger } from '@nestjs/common';
import { jobIdFor, type ItemStatus } from '@sessionpix/contracts';
import { emForSystem, type EntityManager, Item, MikroORM } from '@sessionpix/db';
import { type ItemQueue } from './item-pipeline';
import { JobProducer } from './producer';

/** The queue that moves an item on from each in-progress status. */
const NEXT_STEP: Partial<Record<ItemStatus, ItemQueue>> = {
  uploaded: 'ingest',
  ingested: 'vision-pass-1',
  identified: 'vision-pass-2',
};

/** BullMQ states in which a job will still run (or is running): its id is taken. */
export const LIVE_JOB_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
const LIVE_STATES = LIVE_JOB_STATES;
const BATCH = 500;

export interface SweepReport {
  examined: number;
  requeued: number;
}

/**
 * PostgreSQL is the source of truth and Redis holds only work in flight: items the database
 * says are outstanding but whose job no queue holds (a Redis flush, a lost add) are
 * re-enqueued with a new run number. Each job is looked up by its deterministic id — never
 * by scanning a queue.
 */
@Injectable()
export class OutstandingSweeper {
  private readonly log = new Logger('Sweeper');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly producer: JobProducer,
  ) {}

  async sweep(olderThanMs: number, extraStatuses: Partial<Record<ItemStatus, ItemQueue>> = {}): Promise<SweepReport> {
    const steps = { ...NEXT_STEP, ...extraStatuses };
    const em = emForSystem(this.orm);
    const cutoff = new Date(Date.now() - olderThanMs);
    let examined = 0;
    let requeued = 0;
    // Every outstanding item, a batch at a time. Stopping after one batch would leave an item
    // stranded behind a bulk upload whose hundreds of older items still have live jobs.
    let after: string | undefined;
    for (;;) {
      const candidates = await em.find(
        Item,
        {
          status: { $in: Object.keys(steps) as ItemStatus[] },
          statusChangedAt: { $lte: cutoff },
          ...(after ? { id: { $gt: after } } : {}),
        },
        { filters: { tenant: false }, orderBy: { id: 'asc' }, limit: BATCH },
      );
      for (const item of candidates) {
        if (await this.requeueIfLost(em, item, steps[item.status]!)) requeued += 1;
      }
      examined += candidates.length;
      if (candidates.length < BATCH) break;
      after = candidates[candidates.length - 1].id;
      em.clear();
    }
    if (requeued > 0) this.log.warn(`re-enqueued ${requeued} item(s) no queue was holding`);
    return { examined, requeued };
  }

  private async requeueIfLost(em: EntityManager, item: Item, queue: ItemQueue): Promise<boolean> {
    const payload = { v: 1 as const, orgId: item.org.id, itemId: item.id, run: item.run };
    const job = await this.producer.queue(queue).getJob(jobIdFor(queue, payload));
    if (job && LIVE_STATES.has(await job.getState())) return false;
    // Claim the re-enqueue: only one sweeper (of several replicas) bumps this run.
    const claimed = await em.nativeUpdate(
      Item,
      { id: item.id, run: item.run, status: item.status },
      { run: item.run + 1 },
      { filters: { tenant: false } },
    );
    if (claimed === 0) return false;
    await this.producer.enqueue(queue, { ...payload, run: item.run + 1 });
    return true;
  }
}
