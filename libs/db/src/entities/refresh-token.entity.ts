import { Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { AuthSession } from './auth-session.entity';

/**
 * One refresh token of a session (`<id>.<secret>`, only a SHA-256 of the secret stored).
 * Using it spends it (usedAt) and issues the next; presenting a spent one revokes the session.
 */
@Entity({ tableName: 'refresh_token' })
export class RefreshToken extends BaseEntity<'usedAt'> {
  @ManyToOne(() => AuthSession, { fieldName: 'session_id', ref: true, deleteRule: 'cascade' })
  @Index()
  session!: Ref<AuthSession>;

  @Property({ type: 'text', hidden: true })
  secretHash!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  usedAt?: Date | null = null;
}
