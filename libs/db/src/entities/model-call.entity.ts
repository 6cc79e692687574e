import { BigIntType, Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity, TenantScoped } from './base';
import { Item } from './item.entity';
import { Organization } from './organization.entity';

/** One row per model attempt, so spend and failures are auditable. */
@Entity({ tableName: 'model_call' })
@TenantScoped()
@Index({ properties: ['org', 'createdAt'] })
export class ModelCall extends BaseEntity<
  'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'costMicroUsd'
> {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @ManyToOne(() => Item, { fieldName: 'item_id', ref: true, deleteRule: 'cascade' })
  @Index()
  item!: Ref<Item>;

  @Property({ type: 'smallint' })
  pass!: 1 | 2;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'text' })
  model!: string;

  /** ok, throttled, transient, quota, invalid_request, bad_output, truncated, timeout */
  @Property({ type: 'text' })
  outcome!: string;

  @Property({ type: 'text', nullable: true })
  errorMessage?: string | null = null;

  @Property({ type: 'integer', default: 0 })
  inputTokens: number = 0;

  @Property({ type: 'integer', default: 0 })
  outputTokens: number = 0;

  @Property({ type: 'integer', default: 0 })
  cacheReadTokens: number = 0;

  @Property({ type: 'integer', default: 0 })
  cacheWriteTokens: number = 0;

  @Property({ type: 'integer' })
  latencyMs!: number;

  /** Integer micro-USD from the price table version named beside it. */
  @Property({ type: new BigIntType('number'), default: 0 })
  costMicroUsd: number = 0;

  @Property({ type: 'text', nullable: true })
  priceTableVersion?: string | null = null;
}
