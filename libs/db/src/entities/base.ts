import { Filter, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export const TENANT_FILTER = 'tenant';
export const NOT_DELETED_FILTER = 'notDeleted';

export interface TenantFilterParams {
  orgId: string;
}

/**
 * Every tenant table carries org_id and this filter, on by default. A query that names no
 * org fails ("No arguments provided for filter 'tenant'") instead of reading every org;
 * only code that says `filters: { tenant: false }` crosses orgs, on purpose.
 */
export const TenantScoped = () =>
  Filter({
    name: TENANT_FILTER,
    default: true,
    cond: (params: TenantFilterParams) => ({ org: params.orgId }),
  });

/** Tombstoned rows leave every read at once; purge jobs remove them later. */
export const SoftDeletable = () =>
  Filter({ name: NOT_DELETED_FILTER, default: true, cond: { deletedAt: null } });

/** `Optional` names the properties with defaults, so em.create() does not demand them. */
export abstract class BaseEntity<Optional extends string = never> {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | Optional;

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

export { uuidv7 };
