import { seedEquipmentCatalog } from './catalog/seed';
import { ensureDatabase } from './create-database';
import { openOrm } from './orm';

export interface MigrationReport {
  createdDatabase: boolean;
  applied: string[];
  /** Equipment catalog seed rows written (new or changed); 0 when the catalog is up to date. */
  catalogSeeded: number;
}

/**
 * `npm run db:migrate`: create the database if missing, apply pending migrations, then write the
 * shipped equipment catalog entries that are missing or changed.
 */
export async function migrateDatabase(databaseUrl: string): Promise<MigrationReport> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const orm = await openOrm({ databaseUrl, poolMax: 2 });
  try {
    const applied = await orm.getMigrator().up();
    const catalogSeeded = await seedEquipmentCatalog(orm);
    return { createdDatabase, applied: applied.map((m) => m.name), catalogSeeded };
  } finally {
    await orm.close(true);
  }
}
