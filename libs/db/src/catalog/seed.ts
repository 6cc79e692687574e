import type { MikroORM } from '@mikro-orm/postgresql';
import { uuidv7 } from '../entities/base';
import { SEED_CATALOG, type SeedCatalogEntry } from './seed-data';

/**
 * Writes the shipped catalog entries (source `seed`): new slugs are inserted, seed rows whose
 * content changed are refreshed, and rows an operator wrote are left as they are. One statement,
 * idempotent: a second run writes nothing. Returns how many rows it wrote.
 */
export async function seedEquipmentCatalog(orm: MikroORM, entries: readonly SeedCatalogEntry[] = SEED_CATALOG): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = entries.map((e) => ({ ...e, id: uuidv7() }));
  const result = await orm.em.fork().getConnection().execute<{ id: string }[]>(
    `insert into "equipment_catalog" ("id", "created_at", "updated_at", "slug", "brand", "model", "aliases", "category", "layout", "source")
     select x.id, now(), now(), x.slug, x.brand, x.model, x.aliases, x.category, x.layout, 'seed'
       from jsonb_to_recordset(?::jsonb)
         as x(id uuid, slug text, brand text, model text, aliases jsonb, category text, layout jsonb)
     on conflict ("slug") do update
       set "brand" = excluded."brand", "model" = excluded."model", "aliases" = excluded."aliases",
           "category" = excluded."category", "layout" = excluded."layout", "updated_at" = now()
       where "equipment_catalog"."source" = 'seed'
         and ("equipment_catalog"."brand", "equipment_catalog"."model", "equipment_catalog"."aliases",
              "equipment_catalog"."category", "equipment_catalog"."layout")
             is distinct from (excluded."brand", excluded."model", excluded."aliases", excluded."category", excluded."layout")
     returning "id"`,
    [JSON.stringify(rows)],
  );
  return result.length;
}
