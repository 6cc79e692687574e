import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity, SoftDeletable } from './base';

@Entity({ tableName: 'organization' })
@SoftDeletable()
export class Organization extends BaseEntity {
  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null = null;
}
