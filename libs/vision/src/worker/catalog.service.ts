import { Injectable } from '@nestjs/common';
import { type EntityManager, EquipmentCatalogEntry } from '@sessionpix/db';
import { CatalogLayoutSchema, type CatalogIndexEntry, type CatalogLayout } from '../catalog';

/** How long a worker reuses the catalog it read; operators' additions show up within this. */
const CATALOG_TTL_MS = 60_000;

/** The equipment catalog as the vision passes read it: a few dozen rows, re-read once a minute. */
@Injectable()
export class EquipmentCatalog {
  private cached: { at: number; entries: CatalogIndexEntry[] } | null = null;

  async entries(em: EntityManager): Promise<CatalogIndexEntry[]> {
    if (this.cached && Date.now() - this.cached.at < CATALOG_TTL_MS) return this.cached.entries;
    const rows = await em.find(EquipmentCatalogEntry, {}, { orderBy: { slug: 'asc' } });
    const entries = rows.map((row) => ({
      id: row.id,
      entry: {
        slug: row.slug,
        brand: row.brand,
        model: row.model,
        aliases: row.aliases,
        category: row.category as CatalogIndexEntry['entry']['category'],
        layout: layoutOf(row.layout),
      },
    }));
    this.cached = { at: Date.now(), entries };
    return entries;
  }

  /** The layouts of the given entries, read fresh (pass 2 runs once per photo). */
  async layouts(em: EntityManager, ids: readonly string[]): Promise<Map<string, CatalogLayout>> {
    if (ids.length === 0) return new Map();
    const rows = await em.find(EquipmentCatalogEntry, { id: { $in: [...ids] } });
    const out = new Map<string, CatalogLayout>();
    for (const row of rows) {
      const layout = layoutOf(row.layout);
      if (layout) out.set(row.id, layout);
    }
    return out;
  }
}

/** A stored layout, or null when there is none or it does not read as one. */
function layoutOf(raw: unknown): CatalogLayout | null {
  if (!raw) return null;
  const parsed = CatalogLayoutSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}
