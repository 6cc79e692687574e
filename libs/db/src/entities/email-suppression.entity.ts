import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export const EMAIL_SUPPRESSION_REASONS = ['bounce', 'complaint', 'manual'] as const;
export type EmailSuppressionReason = (typeof EMAIL_SUPPRESSION_REASONS)[number];

/**
 * An address that is never mailed again: it bounced for good, or its owner complained. Only a
 * SHA-256 of the lower-cased address is stored (enough to check a recipient against).
 */
@Entity({ tableName: 'email_suppression' })
export class EmailSuppression {
  @PrimaryKey({ type: 'text' })
  addressHash!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Enum({ items: () => [...EMAIL_SUPPRESSION_REASONS], type: 'text' })
  reason!: EmailSuppressionReason;

  /** The bounce subtype or complaint type SES reported. */
  @Property({ type: 'text', nullable: true })
  detail?: string | null = null;

  /** The SES message that bounced or was complained about. */
  @Property({ type: 'text', nullable: true })
  sourceMessageId?: string | null = null;

  @Property({ type: 'integer', default: 1 })
  events: number = 1;
}
