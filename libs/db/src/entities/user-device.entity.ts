import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { User } from './user.entity';

/** Devices a user has signed in from, so a new one raises a security alert (P7). */
@Entity({ tableName: 'user_device' })
@Unique({ properties: ['user', 'fingerprint'] })
export class UserDevice extends BaseEntity {
  @ManyToOne(() => User, { fieldName: 'user_id', ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  /** SHA-256 of device type, OS and browser family: no raw user agent kept. */
  @Property({ type: 'text' })
  fingerprint!: string;

  @Property({ type: 'text' })
  label!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  lastSeenAt!: Date;
}
