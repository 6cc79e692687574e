import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  EMAIL_TEMPLATES,
  type EmailCategory,
  type EmailTemplateData,
  type EmailTemplateId,
} from '@sessionpix/contracts';
import { z } from 'zod';
import { uuidv7 } from './entities/base';

export class OutboxError extends Error {
  override name = 'OutboxError';
}

export interface QueueEmailInput<T extends EmailTemplateId> {
  templateId: T;
  /** The recipient's address. */
  to: string;
  /** Validated against the template's schema; may hold a secret link (it stays in the row). */
  data: EmailTemplateData<T>;
  /** The same cause never sends twice: a second row with this key is not written. */
  dedupeKey: string;
  /** Must match the template's category when given. */
  category?: EmailCategory;
  /** The broadcast (P22) this row belongs to. */
  broadcastId?: string;
}

export interface QueuedEmail {
  /** The row's id: what the notifications job will carry, and nothing else. */
  id: string | null;
  /** False when a row with the same dedupe key already existed. */
  queued: boolean;
}

const address = z.email();

/**
 * The e-mail outbox (P7), usable by every service: one `email_outbox` row per message, written
 * in the same transaction as the change that causes it, so a message exists exactly when the
 * change committed. After the commit the caller hands the returned ids to
 * `OutboxDispatcher.dispatch` (libs/queue), which enqueues one `notifications` job per row; a
 * process that dies in between loses nothing, because the notifications service's sweeper
 * enqueues pending rows that no queue holds.
 */
@Injectable()
export class OutboxWriter {
  async queueEmail<T extends EmailTemplateId>(em: EntityManager, input: QueueEmailInput<T>): Promise<QueuedEmail> {
    const template = EMAIL_TEMPLATES[input.templateId];
    if (!template) throw new OutboxError(`unknown e-mail template ${String(input.templateId)}`);
    if (input.category && input.category !== template.category) {
      throw new OutboxError(`${input.templateId} is a ${template.category} e-mail, not ${input.category}`);
    }
    if (!em.isInTransaction()) {
      throw new OutboxError('queueEmail runs inside the transaction of the change that causes the e-mail');
    }
    const to = input.to.trim().toLowerCase();
    if (!address.safeParse(to).success) throw new OutboxError('the recipient is not an e-mail address');
    if (!input.dedupeKey || input.dedupeKey.length > 300) throw new OutboxError('dedupeKey must be 1–300 characters');
    const parsed = template.data.safeParse(input.data);
    if (!parsed.success) {
      // Name the fields, never their values (a value may be a secret link).
      throw new OutboxError(
        `invalid data for ${input.templateId}: ${parsed.error.issues.map((i) => i.path.join('.') || '(data)').join(', ')}`,
      );
    }
    const now = new Date();
    const rows = await em.execute<{ id: string }[]>(
      `insert into "email_outbox"
         ("id", "created_at", "updated_at", "template_id", "recipient", "data", "dedupe_key", "category", "status", "attempts", "broadcast_id")
       values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
       on conflict ("dedupe_key") do nothing
       returning "id"`,
      [
        uuidv7(),
        now,
        now,
        input.templateId,
        to,
        JSON.stringify(parsed.data),
        input.dedupeKey,
        template.category,
        input.broadcastId ?? null,
      ],
      'all',
    );
    return rows.length > 0 ? { id: rows[0].id, queued: true } : { id: null, queued: false };
  }
}
