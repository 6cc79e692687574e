import { Entity, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from './base';

/**
 * One make and model of audio equipment, with the layout of its front panel when known. Product
 * knowledge, not customer data: one catalog serves every org (no org_id, no tenant filter).
 * `source` says who wrote it: `seed` rows are shipped with the code and refreshed by
 * `db:migrate`; `operator` rows come from `admin catalog:add` and are never overwritten by a seed.
 */
@Entity({ tableName: 'equipment_catalog' })
@Unique({ properties: ['slug'] })
export class EquipmentCatalogEntry extends BaseEntity<'aliases' | 'layout' | 'source'> {
  @Property({ type: 'text' })
  slug!: string;

  @Property({ type: 'text' })
  brand!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: 'json' })
  aliases: string[] = [];

  @Property({ type: 'text' })
  category!: string;

  /** `{ approximate, controls: [{ label, section, type, range?, legend? }] }`, or null when unknown. */
  @Property({ type: 'json', nullable: true })
  layout?: Record<string, unknown> | null = null;

  @Property({ type: 'text' })
  source: 'seed' | 'operator' = 'operator';
}
