import { Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { API_KEY_ROLES, type ApiKeyRole } from '@sessionpix/contracts';
import { BaseEntity, TenantScoped } from './base';
import { Organization } from './organization.entity';

/** `spx_<keyId>_<secret>`: found by keyId, the secret checked by HMAC-SHA256 in constant time. */
@Entity({ tableName: 'api_key' })
@TenantScoped()
export class ApiKey extends BaseEntity<'role'> {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  @Index()
  org!: Ref<Organization>;

  @Property({ type: 'text', unique: true })
  keyId!: string;

  @Property({ type: 'text', hidden: true })
  secretHash!: string;

  @Property({ type: 'text' })
  label!: string;

  /** What the key may do in its org (never owner). */
  @Enum({ items: () => [...API_KEY_ROLES], type: 'text' })
  role: ApiKeyRole = 'member';

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null = null;
}
