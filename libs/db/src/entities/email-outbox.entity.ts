import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { EMAIL_CATEGORIES, EMAIL_OUTBOX_STATUSES, type EmailCategory, type EmailOutboxStatus } from '@sessionpix/contracts';
import { BaseEntity } from './base';

/**
 * One e-mail to send, written in the same transaction as the change that causes it. The
 * notifications worker sends it (its job carries only this row's id); secrets in `data` (a
 * reset link) live only here, never in a queue payload or a log.
 */
@Entity({ tableName: 'email_outbox' })
@Index({ properties: ['status', 'createdAt'] })
export class EmailOutbox extends BaseEntity<
  'status' | 'attempts' | 'lastError' | 'sentAt' | 'providerMessageId' | 'outcome' | 'broadcastId'
> {
  @Property({ type: 'text' })
  templateId!: string;

  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'json' })
  data!: Record<string, unknown>;

  /** The same cause never sends twice. */
  @Property({ type: 'text', unique: true })
  dedupeKey!: string;

  @Enum({ items: () => [...EMAIL_CATEGORIES], type: 'text' })
  category!: EmailCategory;

  @Enum({ items: () => [...EMAIL_OUTBOX_STATUSES], type: 'text' })
  status: EmailOutboxStatus = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  sentAt?: Date | null = null;

  @Property({ type: 'text', nullable: true })
  providerMessageId?: string | null = null;

  /**
   * Why the row ended as it did, as a stable code: `sent`, `suppressed-by-preference`,
   * `suppressed-by-bounce`, `suppressed-by-complaint`, `invalid-recipient`, `rejected-by-ses`,
   * `unknown-template`, `invalid-data`, `crashed-while-sending`, … (see the notifications service).
   */
  @Property({ type: 'text', nullable: true })
  outcome?: string | null = null;

  /** The broadcast (P22) that wrote this row, if any. */
  @Property({ type: 'uuid', nullable: true })
  broadcastId?: string | null = null;
}
