import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { AI_OUTPUT_DISCLAIMER } from '@sessionpix/contracts';
import { Analysis, type EntityManager, type Item } from '@sessionpix/db';
import { type ItemObjectKind, itemObjectKey, ObjectStore } from '@sessionpix/storage';
import type { z } from 'zod';
import type { itemSchema } from './item.schemas';

export type ItemView = z.input<typeof itemSchema>;

const RENDITIONS: Record<'master' | 'analysis' | 'thumbnail', ItemObjectKind> = {
  master: 'master',
  analysis: 'analysis',
  thumbnail: 'thumbnail',
};

/** Statuses after ingest wrote the renditions. */
const HAS_RENDITIONS = new Set(['ingested', 'identified', 'analyzed', 'paused']);

/** Builds the API's view of items: renditions as short-lived URLs, results when present. */
@Injectable()
export class ItemViews {
  constructor(
    private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async many(em: EntityManager, items: Item[]): Promise<ItemView[]> {
    const analyses = items.length
      ? await em.find(Analysis, { item: { $in: items.map((i) => i.id) } }, { orderBy: { pass: 'asc' } })
      : [];
    return Promise.all(items.map((item) => this.one(item, analyses.filter((a) => a.item.id === item.id))));
  }

  private async one(item: Item, analyses: Analysis[]): Promise<ItemView> {
    const ttl = this.config.RENDITION_URL_TTL_SECONDS;
    const renditions: ItemView['renditions'] = {};
    if (HAS_RENDITIONS.has(item.status) && item.width) {
      const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
      for (const [name, kind] of Object.entries(RENDITIONS) as [keyof typeof RENDITIONS, ItemObjectKind][]) {
        const url = await this.store.presignGet(itemObjectKey(item.org.id, item.id, kind), { expiresInSeconds: ttl });
        renditions[name] = { url, expiresAt };
      }
    }
    const results: ItemView['results'] = {};
    for (const a of analyses) results[a.pass === 1 ? 'pass1' : 'pass2'] = a.output;
    if (analyses.length > 0) results.disclaimer = AI_OUTPUT_DISCLAIMER;
    return {
      id: item.id,
      collectionId: item.collection.id,
      status: item.status,
      reasonCode: item.reasonCode ?? null,
      reason: item.reason ?? null,
      retryable: item.retryable,
      originalFilename: item.originalFilename ?? null,
      width: item.width ?? null,
      height: item.height ?? null,
      sourceItemId: item.sourceItem?.id ?? null,
      createdAt: item.createdAt.toISOString(),
      statusChangedAt: item.statusChangedAt.toISOString(),
      renditions,
      results,
    };
  }
}
