import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity } from './base';

/** What a purge removed, kept after the rows it describes are gone (P14 reporting). */
@Entity({ tableName: 'purge_record' })
export class PurgeRecord extends BaseEntity {
  @Property({ type: 'uuid' })
  orgId!: string;

  /** e.g. "item" */
  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'uuid' })
  subjectId!: string;

  @Property({ type: 'integer' })
  objectsRemoved!: number;

  @Property({ type: 'integer' })
  rowsRemoved!: number;
}
