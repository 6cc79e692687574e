import { ArrayType, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** P15: the optional e-mail categories one user opted out of. Essential mail ignores this. */
@Entity({ tableName: 'email_preference' })
export class EmailPreference {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: ArrayType, columnType: 'text[]' })
  optedOut: string[] = [];
}
