import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { AUDIT_ACTOR_TYPES, type AuditActorType } from '@sessionpix/contracts';
import { TenantScoped, uuidv7 } from './base';
import { Organization } from './organization.entity';

/**
 * Append-only record of a security-relevant action (P21). No code updates or deletes it, and
 * a trigger refuses UPDATE, DELETE and TRUNCATE. `org_id` has no foreign key: the record
 * outlives the org. Rows without an org (an unknown e-mail's failed sign-in) are system-only.
 */
@Entity({ tableName: 'audit_log' })
@TenantScoped()
@Index({ properties: ['org', 'id'] })
export class AuditLog {
  [OptionalProps]?: 'createdAt' | 'org' | 'actorId' | 'targetType' | 'targetId' | 'ip' | 'userAgent' | 'details';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true, nullable: true, createForeignKeyConstraint: false })
  org?: Ref<Organization> | null = null;

  @Enum({ items: () => [...AUDIT_ACTOR_TYPES], type: 'text' })
  actorType!: AuditActorType;

  /** The user's or the API key's id. */
  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null = null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text', nullable: true })
  targetType?: string | null = null;

  @Property({ type: 'text', nullable: true })
  targetId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  ip?: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent?: string | null = null;

  /** Small, non-secret facts (old and new role, the reason of a failure). */
  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown> | null = null;
}
