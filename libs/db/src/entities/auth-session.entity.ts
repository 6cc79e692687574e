import { Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { User } from './user.entity';

/**
 * One sign-in of the built-in identity provider: the family of refresh tokens it rotates
 * through. Access tokens name it (`sid`), so revoking it ends them at once too.
 */
@Entity({ tableName: 'auth_session' })
export class AuthSession extends BaseEntity<'revokedAt' | 'revokeReason' | 'lastUsedAt'> {
  @ManyToOne(() => User, { fieldName: 'user_id', ref: true, deleteRule: 'cascade' })
  @Index()
  user!: Ref<User>;

  /** Absolute end: rotation never extends a session beyond this. */
  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null = null;

  /** sign_out, refresh_token_reused, password_changed, password_reset */
  @Property({ type: 'text', nullable: true })
  revokeReason?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null = null;

  /** e.g. "desktop · macOS · Safari" — shown back to the user, no raw user agent. */
  @Property({ type: 'text' })
  device!: string;
}
