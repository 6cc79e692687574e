import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { TENANT_FILTER, type TenantFilterParams } from './entities/base';
import { ormConfig, type DbOptions } from './orm-config';

export async function openOrm(opts: DbOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(opts));
}

/** A fresh unit of work whose every tenant query is limited to one org. */
export function emForOrg(source: MikroORM | EntityManager, orgId: string): EntityManager {
  const base = 'fork' in source ? source : source.em;
  const em = base.fork({ clear: true, useContext: false });
  em.setFilterParams(TENANT_FILTER, { orgId } satisfies TenantFilterParams);
  return em;
}

/**
 * A unit of work for system code that must cross orgs (the sweeper, the purge job, the admin
 * CLI). The tenant filter stays on: each query that crosses orgs says so with
 * `filters: { tenant: false }`.
 */
export function emForSystem(orm: MikroORM): EntityManager {
  return orm.em.fork({ clear: true, useContext: false });
}
