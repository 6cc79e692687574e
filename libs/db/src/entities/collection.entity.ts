import { Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity, SoftDeletable, TenantScoped } from './base';
import { Organization } from './organization.entity';

@Entity({ tableName: 'collection' })
@TenantScoped()
@SoftDeletable()
@Index({ properties: ['org', 'id'] })
export class Collection extends BaseEntity {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null = null;
}
