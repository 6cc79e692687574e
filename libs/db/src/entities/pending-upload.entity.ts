import { BigIntType, Entity, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity, TenantScoped } from './base';
import { Collection } from './collection.entity';
import { Organization } from './organization.entity';

/**
 * A presigned direct upload the client has not completed yet. Its item id is chosen up front
 * (the object key names it); the Item row appears only on `complete`.
 */
@Entity({ tableName: 'pending_upload' })
@TenantScoped()
export class PendingUpload extends BaseEntity {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @ManyToOne(() => Collection, { fieldName: 'collection_id', ref: true })
  collection!: Ref<Collection>;

  @Property({ type: 'uuid' })
  itemId!: string;

  @Property({ type: 'text' })
  contentType!: string;

  @Property({ type: new BigIntType('number') })
  contentLength!: number;

  @Property({ type: 'text', nullable: true })
  filename?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  completedAt?: Date | null = null;
}
