import { Entity, Enum, Property } from '@mikro-orm/core';
import { BaseEntity } from './base';

export const EMAIL_BROADCAST_STATUSES = ['running', 'paused', 'completed', 'cancelled'] as const;
export type EmailBroadcastStatus = (typeof EMAIL_BROADCAST_STATUSES)[number];

/**
 * One e-mail to many users (P22: a policy change to every active user), sent as a batch job:
 * runs of the `email-batch` queue write outbox rows a window at a time (`cursor` is the last
 * user given a row) and enqueue them. An operator pauses and resumes it; `run` numbers the
 * batch job that moves it on, so a resume or a sweep starts a fresh one.
 */
@Entity({ tableName: 'email_broadcast' })
export class EmailBroadcast extends BaseEntity<'run' | 'cursor' | 'exhausted' | 'rowsWritten' | 'completedAt'> {
  @Property({ type: 'text' })
  templateId!: string;

  /** What every row shares (each row adds the recipient's name). */
  @Property({ type: 'json' })
  data!: Record<string, unknown>;

  /** The same announcement is broadcast once. */
  @Property({ type: 'text', unique: true })
  dedupeKey!: string;

  @Enum({ items: () => [...EMAIL_BROADCAST_STATUSES], type: 'text' })
  status!: EmailBroadcastStatus;

  @Property({ type: 'integer', default: 0 })
  run: number = 0;

  @Property({ type: 'uuid', nullable: true })
  cursor?: string | null = null;

  /** Every target has a row. */
  @Property({ type: 'boolean', default: false })
  exhausted: boolean = false;

  /** Active users when the broadcast began. */
  @Property({ type: 'integer' })
  targets!: number;

  @Property({ type: 'integer', default: 0 })
  rowsWritten: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  completedAt?: Date | null = null;
}
