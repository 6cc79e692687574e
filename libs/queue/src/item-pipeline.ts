import { Inject, Injectable } from '@nestjs/common';
import type { ItemJob, ItemStatus, QueueName } from '@sessionpix/contracts';
import { applyStatus, emForOrg, type EntityManager, Item, MikroORM, type StatusChange } from '@sessionpix/db';
import { DomainEvents } from './domain-events';
import { JobProducer } from './producer';

export interface LoadedItem {
  em: EntityManager;
  item: Item;
}

/** Item queues whose jobs carry `{v, orgId, itemId, run}`. */
export type ItemQueue = Extract<QueueName, 'ingest' | 'vision-pass-1' | 'vision-pass-2' | 'purge'>;

/**
 * The item state machine as the workers use it: load the row a job names, check it is still
 * this step's work (at-least-once delivery), commit a status change, then publish it and
 * enqueue the next step — always after the commit.
 */
@Injectable()
export class ItemPipeline {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly producer: JobProducer,
    private readonly events: DomainEvents,
  ) {}

  /**
   * The item, when the job is still current and the item is in one of `expected`; null when
   * it was deleted, moved on, or a newer run superseded this job.
   */
  async load(job: ItemJob, expected: readonly ItemStatus[]): Promise<LoadedItem | null> {
    const em = emForOrg(this.orm, job.orgId);
    const item = await em.findOne(Item, { id: job.itemId });
    if (!item || item.run > job.run || !expected.includes(item.status)) return null;
    return { em, item };
  }

  async transition(loaded: LoadedItem, change: StatusChange, next?: ItemQueue): Promise<void> {
    const { em, item } = loaded;
    applyStatus(item, change);
    await em.flush();
    await this.announce(item);
    if (next) await this.enqueue(next, item);
  }

  /**
   * Records a failure that retrying the job will not fix (or the last attempt's): the item
   * is `failed` with a reason, and `retryable` says whether POST /retry may help.
   */
  async fail(loaded: LoadedItem, reasonCode: string, reason: string, retryable: boolean): Promise<void> {
    await this.transition(loaded, { status: 'failed', reasonCode, reason, retryable });
  }

  async enqueue(queue: ItemQueue, item: Item): Promise<void> {
    await this.producer.enqueue(queue, { v: 1, orgId: item.org.id, itemId: item.id, run: item.run });
  }

  async announce(item: Item): Promise<void> {
    await this.events.publish({
      type: 'item.status_changed',
      orgId: item.org.id,
      collectionId: item.collection.id,
      itemId: item.id,
      status: item.status,
      reasonCode: item.reasonCode ?? null,
      at: item.statusChangedAt.toISOString(),
    });
  }
}
