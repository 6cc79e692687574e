import { Entity, Index, Property } from '@mikro-orm/core';
import { BaseEntity } from './base';

/** What one scheduled retention task removed or aggregated, kept as its report (P6, P14). */
@Entity({ tableName: 'retention_run' })
@Index({ properties: ['task', 'createdAt'] })
export class RetentionRun extends BaseEntity {
  /** e.g. "purge-usage-logs" */
  @Property({ type: 'text' })
  task!: string;

  /** Rows older than this were in scope. */
  @Property({ type: 'Date', columnType: 'timestamptz' })
  cutoff!: Date;

  @Property({ type: 'integer' })
  rowsRemoved!: number;

  @Property({ type: 'integer' })
  rowsAggregated!: number;
}
