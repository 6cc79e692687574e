import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import {
  EMAIL_CATEGORY_KIND,
  EMAIL_SECRET_FIELDS,
  EMAIL_TEMPLATES,
  type EmailOutboxStatus,
  type EmailTemplateId,
  isOptionalCategory,
  type OutboxJob,
} from '@sessionpix/contracts';
import {
  EmailOutbox,
  emailSuppressionOf,
  emForSystem,
  type EntityManager,
  MikroORM,
  optedOutCategories,
  signUnsubscribeToken,
  User,
} from '@sessionpix/db';
import { type JobContext, JobHandler, UnrecoverableError } from '@sessionpix/queue';
import { z } from 'zod';
import { emailsInDoubtTotal, emailsTotal, sesCallDuration } from './metrics';
import { SendRateLimiter } from './send-rate';
import { SesMailer, SesSendError } from './ses';
import { renderEmail, TemplateError } from './templates';

/** How long a throttled SES answer pauses the whole queue (every replica). */
const THROTTLE_PAUSE_MS = 1_000;
const address = z.email();

/** Which rows a terminal update may touch. */
type Finish = { status: Exclude<EmailOutboxStatus, 'pending' | 'sending'>; outcome: string; error?: string };

/**
 * Sends one `email_outbox` row (P7), at most once:
 *
 *  1. A row that is not `pending` is left alone (a repeated job sends nothing). A row found in
 *     `sending` means an earlier attempt stopped between calling SES and recording the answer:
 *     SES has no idempotency key, so the e-mail may have gone. It becomes `in_doubt` — counted,
 *     listed for operators, never resent.
 *  2. Checks that end the row without SES: an unknown template or data that does not fit
 *     (`failed`, and the job fails with the reason), an unusable address (`rejected`), an
 *     address on the suppression list (`suppressed`, bounce or complaint), optional mail the
 *     user opted out of (`suppressed-by-preference`, P15). A paused broadcast's rows wait.
 *  3. A token from the shared send-rate bucket, then `pending → sending` (a conditional
 *     update: one attempt wins, and a paused broadcast's row stays pending), then SES, then `sent` with SES's message id; secret links in
 *     the row's data are wiped.
 *  4. SES errors: throttling pauses the queue (no attempt used); 5xx and refused connections
 *     put the row back to `pending` and retry with backoff (the last attempt records `failed`);
 *     MessageRejected and other refusals are `failed` (`rejected` for a bad address) at once;
 *     a timeout or a connection lost mid-request is `in_doubt`.
 */
@Injectable()
export class OutboxSender {
  private readonly log = new Logger('Notifications');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ses: SesMailer,
    private readonly rate: SendRateLimiter,
  ) {}

  @JobHandler('notifications')
  async send(job: OutboxJob, ctx: JobContext): Promise<string> {
    const em = emForSystem(this.orm);
    const row = await em.findOne(EmailOutbox, { id: job.outboxId });
    if (!row) throw new UnrecoverableError(`there is no e-mail ${job.outboxId} in the outbox`);
    if (row.status === 'sending') {
      await this.markInDoubt(em, row.id, 'found in sending: an earlier attempt stopped between calling SES and recording its answer');
      return 'in_doubt';
    }
    if (row.status !== 'pending') return `already ${row.status}`;

    const templateId = row.templateId;
    if (!Object.prototype.hasOwnProperty.call(EMAIL_TEMPLATES, templateId)) {
      const message = `unknown e-mail template "${templateId}" (outbox row ${row.id})`;
      await this.finish(em, row, { status: 'failed', outcome: 'unknown-template', error: message });
      throw new UnrecoverableError(message);
    }
    const template = EMAIL_TEMPLATES[templateId as EmailTemplateId];
    if (!address.safeParse(row.recipient).success) {
      await this.finish(em, row, { status: 'rejected', outcome: 'invalid-recipient', error: 'the recipient is not a valid e-mail address' });
      return 'rejected: invalid recipient';
    }
    const suppression = await emailSuppressionOf(em, row.recipient);
    if (suppression) {
      await this.finish(em, row, { status: 'suppressed', outcome: `suppressed-by-${suppression}` });
      return `suppressed (${suppression})`;
    }

    let unsubscribeUrl: string | undefined;
    if (EMAIL_CATEGORY_KIND[template.category] === 'optional' && isOptionalCategory(template.category)) {
      const user = await em.findOne(User, { email: row.recipient });
      if (!user) {
        // Optional mail goes to account holders only: they are the ones who can turn it off.
        await this.finish(em, row, { status: 'suppressed', outcome: 'suppressed-no-account' });
        return 'suppressed (no account)';
      }
      if ((await optedOutCategories(em, user.id)).includes(template.category)) {
        await this.finish(em, row, { status: 'suppressed', outcome: 'suppressed-by-preference' });
        return 'suppressed (preference)';
      }
      const token = signUnsubscribeToken(this.config.emailUnsubscribeSecret, user.id, template.category);
      unsubscribeUrl = new URL(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`, this.config.PUBLIC_BASE_URL).toString();
    }

    if (row.broadcastId) {
      const [broadcast] = await em.execute<{ status: string }[]>(
        `select "status" from "email_broadcast" where "id" = ?`,
        [row.broadcastId],
        'all',
      );
      // Paused: the row stays pending; the broadcast's next run enqueues it again.
      if (broadcast && broadcast.status !== 'running' && broadcast.status !== 'completed') return `waiting: broadcast ${broadcast.status}`;
    }

    let rendered;
    try {
      rendered = renderEmail(templateId, row.data, { supportEmail: this.config.SUPPORT_EMAIL, unsubscribeUrl });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      await this.finish(em, row, { status: 'failed', outcome: 'invalid-data', error: err.message });
      throw new UnrecoverableError(err.message);
    }

    await this.rate.take(ctx.signal);
    // The broadcast is checked again in the claim itself: waiting for a send token takes time,
    // and an operator's pause must stop every row not yet at SES, this one included.
    const claimed = await em.execute<{ id: string }[]>(
      `update "email_outbox" o set "status" = 'sending', "attempts" = o."attempts" + 1, "updated_at" = ?
       where o."id" = ? and o."status" = 'pending'
         and (o."broadcast_id" is null or exists (
           select 1 from "email_broadcast" b where b."id" = o."broadcast_id" and b."status" in ('running', 'completed')))
       returning o."id"`,
      [new Date(), row.id],
      'all',
    );
    if (claimed.length === 0) return 'not sent here: taken by another attempt, or its broadcast was paused';

    const stopTimer = sesCallDuration.startTimer();
    let messageId: string;
    try {
      messageId = await this.ses.send(
        {
          to: row.recipient,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          headers: unsubscribeUrl
            ? [
                // RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
                { name: 'List-Unsubscribe', value: `<${unsubscribeUrl}>` },
                { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
              ]
            : undefined,
          tags: { template: templateId.replace(/[^A-Za-z0-9_-]/g, '-'), outbox: row.id },
        },
        ctx.signal,
      );
      stopTimer({ result: 'sent' });
    } catch (err) {
      if (!(err instanceof SesSendError)) {
        stopTimer({ result: 'error' });
        // Not an answer from SES (a bug before the call): nothing was sent.
        await this.release(em, row.id, String(err));
        throw err;
      }
      stopTimer({ result: err.failure.kind });
      return this.failed(em, row, err, ctx);
    }

    await this.recordSent(em, row, messageId);
    return `sent ${messageId}`;
  }

  private async failed(em: EntityManager, row: EmailOutbox, err: SesSendError, ctx: JobContext): Promise<string> {
    const failure = err.failure;
    const error = `${failure.code}: ${failure.message}`;
    switch (failure.kind) {
      case 'throttled':
        await this.release(em, row.id, error);
        throw await ctx.pauseQueue(THROTTLE_PAUSE_MS);
      case 'transient':
        if (ctx.isFinalAttempt) {
          await this.finish(em, row, { status: 'failed', outcome: 'gave-up-after-transient-errors', error }, 'sending');
          return `failed: ${error}`;
        }
        await this.release(em, row.id, error);
        throw err;
      case 'permanent':
        await this.finish(
          em,
          row,
          failure.badRecipient
            ? { status: 'rejected', outcome: 'invalid-recipient', error }
            : { status: 'failed', outcome: failure.code === 'MessageRejected' ? 'rejected-by-ses' : 'refused-by-ses', error },
          'sending',
        );
        return `${failure.badRecipient ? 'rejected' : 'failed'}: ${error}`;
      case 'ambiguous':
        await this.markInDoubt(em, row.id, `the SES call ended without an answer (${error}); it may have been sent`);
        return 'in_doubt';
    }
  }

  /** sending → pending: SES answered that it did not send, so the next attempt may. */
  private async release(em: EntityManager, id: string, error: string): Promise<void> {
    await em.execute(
      `update "email_outbox" set "status" = 'pending', "last_error" = ?, "updated_at" = ? where "id" = ? and "status" = 'sending'`,
      [error.slice(0, 1000), new Date(), id],
      'run',
    );
  }

  private async recordSent(em: EntityManager, row: EmailOutbox, messageId: string): Promise<void> {
    // In doubt too: a timed-out attempt whose call did finish is now known to be sent.
    await em.execute(
      `update "email_outbox" set "status" = 'sent', "outcome" = 'sent', "provider_message_id" = ?, "sent_at" = ?,
         "updated_at" = ?, "last_error" = null, "data" = ?
       where "id" = ? and "status" in ('sending', 'in_doubt')`,
      [messageId, new Date(), new Date(), JSON.stringify(wipeSecrets(row.templateId, row.data)), row.id],
      'run',
    );
    emailsTotal.inc({ template: row.templateId, outcome: 'sent' });
  }

  /** A terminal status, from `pending` (checks before SES) or `sending` (SES's answer). */
  private async finish(em: EntityManager, row: EmailOutbox, end: Finish, from: 'pending' | 'sending' = 'pending'): Promise<void> {
    await em.execute(
      `update "email_outbox" set "status" = ?, "outcome" = ?, "last_error" = ?, "updated_at" = ?, "data" = ?
       where "id" = ? and "status" = ?`,
      [end.status, end.outcome, end.error?.slice(0, 1000) ?? null, new Date(), JSON.stringify(wipeSecrets(row.templateId, row.data)), row.id, from],
      'run',
    );
    emailsTotal.inc({ template: row.templateId, outcome: end.outcome });
    if (end.status === 'failed') this.log.warn(`e-mail ${row.id} (${row.templateId}) failed: ${end.outcome}${end.error ? ` — ${end.error}` : ''}`);
  }

  private async markInDoubt(em: EntityManager, id: string, why: string): Promise<void> {
    const marked = await markInDoubt(em, id, why);
    if (marked) this.log.error(`e-mail ${id} is in doubt (${why}); not resending — see \`admin email:in-doubt\``);
  }
}

/**
 * sending → in_doubt; true when this call made the change. Shared with the outbox sweep, which
 * finds rows left in `sending` whose job is gone.
 */
export async function markInDoubt(em: EntityManager, id: string, why: string): Promise<boolean> {
  const rows = await em.execute<{ template_id: string }[]>(
    `update "email_outbox" set "status" = 'in_doubt', "outcome" = 'crashed-while-sending', "last_error" = ?, "updated_at" = ?
     where "id" = ? and "status" = 'sending' returning "template_id"`,
    [why.slice(0, 1000), new Date(), id],
    'all',
  );
  if (rows.length === 0) return false;
  emailsInDoubtTotal.inc();
  emailsTotal.inc({ template: rows[0].template_id, outcome: 'in_doubt' });
  return true;
}

/** The row's data without its single-use links, once the e-mail went (or never will). */
export function wipeSecrets(templateId: string, data: Record<string, unknown>): Record<string, unknown> {
  const secret = EMAIL_SECRET_FIELDS[templateId as EmailTemplateId] ?? [];
  const kept = { ...data };
  for (const field of secret) if (field in kept) kept[field] = '[removed after sending]';
  return kept;
}
