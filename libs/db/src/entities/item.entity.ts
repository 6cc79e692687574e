import { BigIntType, Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { ITEM_STATUSES, type ItemStatus } from '@sessionpix/contracts';
import { BaseEntity, SoftDeletable, TenantScoped } from './base';
import { Collection } from './collection.entity';
import { Organization } from './organization.entity';

/** One uploaded photo and where it is in the pipeline. */
@Entity({ tableName: 'item' })
@TenantScoped()
@SoftDeletable()
@Index({ properties: ['org', 'collection', 'id'] })
@Index({ properties: ['status', 'statusChangedAt'] })
@Index({ properties: ['org', 'sha256'] })
export class Item extends BaseEntity<'status' | 'retryable' | 'run' | 'statusChangedAt'> {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @ManyToOne(() => Collection, { fieldName: 'collection_id', ref: true })
  collection!: Ref<Collection>;

  @Enum({ items: () => [...ITEM_STATUSES], type: 'text' })
  status: ItemStatus = 'uploaded';

  /** Stable machine code for a paused, failed or rejected item. */
  @Property({ type: 'text', nullable: true })
  reasonCode?: string | null = null;

  /** A sentence a user can read. */
  @Property({ type: 'text', nullable: true })
  reason?: string | null = null;

  @Property({ type: 'boolean', default: false })
  retryable: boolean = false;

  /** Bumped by every retry or sweep, so each re-enqueue gets a fresh job id. */
  @Property({ type: 'integer', default: 0 })
  run: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  statusChangedAt: Date = new Date();

  @Property({ type: 'text', nullable: true })
  sha256?: string | null = null;

  /** Set when this item reuses the results of an earlier upload of the same photo. */
  @ManyToOne(() => Item, { fieldName: 'source_item_id', ref: true, nullable: true })
  sourceItem?: Ref<Item> | null = null;

  /** As the client named it; shown back to the user, never sent to a model. */
  @Property({ type: 'text', nullable: true })
  originalFilename?: string | null = null;

  /** The type sniffed from the bytes at ingest (jpeg, png, webp, heic). */
  @Property({ type: 'text', nullable: true })
  contentType?: string | null = null;

  /**
   * The photo's size as uploaded. Set by the gateway when the raw upload object is longer than the
   * photo (a multipart part stored while it arrived, padded to its bound): ingest then reads only
   * this many leading bytes. Otherwise ingest sets it from what it read.
   */
  @Property({ type: new BigIntType('number'), nullable: true })
  byteSize?: number | null = null;

  @Property({ type: 'integer', nullable: true })
  width?: number | null = null;

  @Property({ type: 'integer', nullable: true })
  height?: number | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null = null;
}
