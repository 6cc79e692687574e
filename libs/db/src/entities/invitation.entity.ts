import { Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { ORG_ROLES, type OrgRole } from '@sessionpix/contracts';
import { BaseEntity, TenantScoped } from './base';
import { Organization } from './organization.entity';
import { User } from './user.entity';

/**
 * An invitation by e-mail. The token (`<id>.<secret>`) travels only in the outbox row's link;
 * the database keeps a SHA-256 of the secret. Single use, with an expiry.
 */
@Entity({ tableName: 'invitation' })
@TenantScoped()
@Index({ properties: ['org', 'email'] })
export class Invitation extends BaseEntity<'acceptedAt' | 'revokedAt' | 'invitedBy' | 'acceptedBy'> {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @Property({ type: 'text' })
  email!: string;

  @Enum({ items: () => [...ORG_ROLES], type: 'text' })
  role!: OrgRole;

  @Property({ type: 'text', hidden: true })
  secretHash!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @ManyToOne(() => User, { fieldName: 'invited_by_id', ref: true, nullable: true, deleteRule: 'set null' })
  invitedBy?: Ref<User> | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  acceptedAt?: Date | null = null;

  @ManyToOne(() => User, { fieldName: 'accepted_by_id', ref: true, nullable: true, deleteRule: 'set null' })
  acceptedBy?: Ref<User> | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null = null;
}
