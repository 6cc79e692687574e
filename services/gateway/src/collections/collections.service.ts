import { Injectable } from '@nestjs/common';
import { Collection, decodeCursor, type EntityManager, type Page, toPage } from '@sessionpix/db';
import type { TenantContext } from '../auth/tenant';
import { auditInOrg } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';

export interface CollectionView {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

function view(c: Collection): CollectionView {
  return { id: c.id, name: c.name, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

/** Collections of the caller's org; the unit of work's tenant filter does the scoping. */
@Injectable()
export class CollectionsService {
  async create(t: TenantContext, name: string): Promise<CollectionView> {
    const collection = t.em.create(Collection, { org: t.orgId, name });
    await t.em.flush();
    return view(collection);
  }

  async list(t: TenantContext, limit: number, cursor?: string): Promise<Page<CollectionView>> {
    const before = cursor ? decodeCursor(cursor) : undefined;
    const rows = await t.em.find(
      Collection,
      before ? { id: { $lt: before } } : {},
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    const page = toPage(rows, limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  async get(t: TenantContext, id: string): Promise<CollectionView> {
    return view(await this.load(t.em, id));
  }

  async rename(t: TenantContext, id: string, name: string): Promise<CollectionView> {
    const collection = await this.load(t.em, id);
    collection.name = name;
    await t.em.flush();
    return view(collection);
  }

  /** Tombstone: gone from every read at once; its items follow in the items issue's purge. */
  async remove(t: TenantContext, id: string): Promise<void> {
    await t.em.transactional(async (tx) => {
      const collection = await this.load(tx, id);
      collection.deletedAt = new Date();
      auditInOrg(tx, t, 'collection.deleted', { type: 'collection', id });
    });
  }

  /** The caller's collection or a 404; shared by the routes nested under a collection. */
  async load(em: EntityManager, id: string): Promise<Collection> {
    const collection = await em.findOne(Collection, { id });
    if (!collection) throw ProblemError.notFound('the collection');
    return collection;
  }
}
