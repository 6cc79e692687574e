import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity, SoftDeletable } from './base';

/**
 * A person who signs in (P1: e-mail, name, a salted argon2id hash — or a Cognito subject).
 * Not tenant-scoped: one user may belong to several orgs through memberships.
 */
@Entity({ tableName: 'user_account' })
@SoftDeletable()
export class User extends BaseEntity<
  'passwordHash' | 'cognitoSub' | 'emailVerifiedAt' | 'lastSignInAt' | 'passwordChangedAt' | 'deletedAt'
> {
  /** Trimmed and lower-cased; unique. */
  @Property({ type: 'text', unique: true })
  email!: string;

  @Property({ type: 'text' })
  name!: string;

  /** argon2id (PHC string); null for Cognito users. Never serialised. */
  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null = null;

  @Property({ type: 'text', nullable: true, unique: true })
  cognitoSub?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  emailVerifiedAt?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastSignInAt?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  passwordChangedAt?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null = null;
}
