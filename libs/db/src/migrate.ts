import { ensureDatabase } from './create-database';
import { openOrm } from './orm';

export interface MigrationReport {
  createdDatabase: boolean;
  applied: string[];
}

/** `npm run db:migrate`: create the database if missing, then apply pending migrations. */
export async function migrateDatabase(databaseUrl: string): Promise<MigrationReport> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const orm = await openOrm({ databaseUrl, poolMax: 2 });
  try {
    const applied = await orm.getMigrator().up();
    return { createdDatabase, applied: applied.map((m) => m.name) };
  } finally {
    await orm.close(true);
  }
}
