import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DbOptions {
  databaseUrl: string;
  poolMax?: number;
  debug?: boolean;
}

/** Migrations are listed in code so the same list runs from sources (tests) and from dist. */
export function ormConfig(opts: DbOptions): Options {
  return defineConfig({
    clientUrl: opts.databaseUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true, requireEntitiesArray: true },
    forceUtcTimezone: true,
    // Code must fork an EntityManager (per request, per job); the global one is off limits.
    allowGlobalContext: false,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    debug: opts.debug ?? false,
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
      snapshot: false,
      silent: true,
    },
  });
}
