import { Inject, Injectable } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { emForOrg, emForSystem, Item, MikroORM, PurgeRecord, VisionResultCache } from '@sessionpix/db';
import { JobHandler, JobProducer } from '@sessionpix/queue';
import { itemPrefix, ObjectStore } from '@sessionpix/storage';

const TOMBSTONE_BATCH = 500;

/**
 * Deleted items: the API tombstones them at once; this removes every object under the
 * item's prefix and then the rows, and records what it removed.
 */
@Injectable()
export class PurgeHandler {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly store: ObjectStore,
    private readonly producer: JobProducer,
  ) {}

  @JobHandler('purge')
  async purge(job: ItemJob): Promise<string> {
    const em = emForOrg(this.orm, job.orgId);
    const item = await em.findOne(Item, { id: job.itemId }, { filters: { notDeleted: false } });
    if (!item) return 'already purged';
    if (!item.deletedAt) return 'skipped: the item is not deleted';
    const objects = await this.store.deletePrefix(itemPrefix(job.orgId, job.itemId));
    await em.transactional(async (tx) => {
      // The model answers this item produced leave the result cache with it, so the same photo
      // uploaded again is analysed afresh (the foreign key cascades as well; this does not rely on it).
      await tx.nativeDelete(VisionResultCache, { item: job.itemId });
      // analysis and model_call rows go with the item (on delete cascade).
      const rows = await tx.nativeDelete(Item, { id: job.itemId }, { filters: { notDeleted: false } });
      tx.create(PurgeRecord, {
        orgId: job.orgId,
        subject: 'item',
        subjectId: job.itemId,
        objectsRemoved: objects,
        rowsRemoved: rows,
      });
    });
    return `purged ${objects} object(s)`;
  }

  /** Catches tombstones whose purge job was lost (a Redis flush); run on a schedule. */
  async enqueueMissedPurges(): Promise<number> {
    const tombstones = await emForSystem(this.orm).find(
      Item,
      { deletedAt: { $ne: null } },
      { filters: { tenant: false, notDeleted: false }, limit: TOMBSTONE_BATCH, orderBy: { deletedAt: 'asc' }, fields: ['id', 'org', 'run'] },
    );
    for (const item of tombstones) {
      await this.producer.enqueue('purge', { v: 1, orgId: item.org.id, itemId: item.id, run: item.run });
    }
    return tombstones.length;
  }
}
