import { Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { User } from './user.entity';

export const USER_TOKEN_PURPOSES = ['confirm_email', 'password_reset'] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/**
 * A single-use, short-lived token sent by e-mail (confirmation, password reset). The link lives
 * only in the outbox row; here only a SHA-256 of its secret.
 */
@Entity({ tableName: 'user_token' })
@Index({ properties: ['user', 'purpose'] })
export class UserToken extends BaseEntity<'usedAt'> {
  @ManyToOne(() => User, { fieldName: 'user_id', ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  @Enum({ items: () => [...USER_TOKEN_PURPOSES], type: 'text' })
  purpose!: UserTokenPurpose;

  /** The address a confirmation is for (it may have changed since). */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', hidden: true })
  secretHash!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  usedAt?: Date | null = null;
}
