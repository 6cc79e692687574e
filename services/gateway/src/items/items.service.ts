import { HttpStatus, Injectable } from '@nestjs/common';
import { Analysis, applyStatus, decodeCursor, type EntityManager, Item, type Page, toPage } from '@sessionpix/db';
import { type ItemQueue, ItemPipeline } from '@sessionpix/queue';
import type { TenantContext } from '../auth/tenant';
import { CollectionsService } from '../collections/collections.service';
import { ProblemError } from '../http/problem';
import { type ItemView, ItemViews } from './item-view';

/** Where a failed item starts again: the status the step expects, and its queue. */
const RESTART: Record<'ingest' | 'vision-pass-1' | 'vision-pass-2', { status: 'uploaded' | 'ingested' | 'identified' }> = {
  ingest: { status: 'uploaded' },
  'vision-pass-1': { status: 'ingested' },
  'vision-pass-2': { status: 'identified' },
};

@Injectable()
export class ItemsService {
  constructor(
    private readonly collections: CollectionsService,
    private readonly views: ItemViews,
    private readonly pipeline: ItemPipeline,
  ) {}

  async get(t: TenantContext, id: string): Promise<ItemView> {
    const [view] = await this.views.many(t.em, [await this.load(t.em, id)]);
    return view;
  }

  async list(t: TenantContext, collectionId: string, limit: number, cursor?: string): Promise<Page<ItemView>> {
    await this.collections.load(t.em, collectionId);
    const before = cursor ? decodeCursor(cursor) : undefined;
    const rows = await t.em.find(
      Item,
      { collection: collectionId, ...(before ? { id: { $lt: before } } : {}) },
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    const page = toPage(rows, limit);
    return { items: await this.views.many(t.em, page.items), nextCursor: page.nextCursor };
  }

  /** Tombstone at once; the purge job removes the objects and rows. */
  async remove(t: TenantContext, id: string): Promise<void> {
    const item = await this.load(t.em, id);
    item.deletedAt = new Date();
    item.run += 1;
    await t.em.flush();
    await this.pipeline.enqueue('purge', item);
  }

  async retry(t: TenantContext, id: string): Promise<ItemView> {
    const item = await this.load(t.em, id);
    if (item.status !== 'failed') {
      throw new ProblemError(HttpStatus.CONFLICT, 'not_failed', `the item is ${item.status}; only a failed item can be retried`);
    }
    if (!item.retryable) {
      throw new ProblemError(
        HttpStatus.CONFLICT,
        'not_retryable',
        `this failure would repeat on retry: ${item.reason ?? item.reasonCode ?? 'no reason was recorded'}`,
      );
    }
    const step = await this.failedStep(t.em, item);
    item.run += 1;
    applyStatus(item, { status: RESTART[step].status });
    await t.em.flush();
    await this.pipeline.announce(item);
    await this.pipeline.enqueue(step, item);
    return this.get(t, id);
  }

  /** The step to redo, read from what the item already has rather than from a stored step. */
  private async failedStep(em: EntityManager, item: Item): Promise<Extract<ItemQueue, keyof typeof RESTART>> {
    if (!item.width) return 'ingest';
    const pass1 = await em.count(Analysis, { item: item.id, pass: 1 });
    return pass1 > 0 ? 'vision-pass-2' : 'vision-pass-1';
  }

  private async load(em: EntityManager, id: string): Promise<Item> {
    const item = await em.findOne(Item, { id });
    if (!item) throw ProblemError.notFound('the item');
    return item;
  }
}
