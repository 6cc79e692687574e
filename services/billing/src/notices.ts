import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { type PlanDefinition, planById } from '@sessionpix/contracts';
import { type EntityManager, OutboxWriter } from '@sessionpix/db';
import type { InvoiceRecord } from './stripe/records';
import type { AccountRow } from './store';

interface Recipient {
  email: string;
  /** Part of the dedupe key when several people get the same notice. */
  tag: string;
}

/**
 * Billing e-mails (P7) through the outbox, written in the transaction that applies the event:
 * a receipt once per paid invoice, a payment-failed notice once per failed attempt. They go to
 * the billing e-mail Stripe has for the customer, or, without one, to the org's owners.
 */
@Injectable()
export class BillingNotices {
  constructor(
    private readonly outbox: OutboxWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get manageUrl(): string {
    return new URL('/billing', this.config.WEB_APP_URL).toString();
  }

  private async orgName(em: EntityManager, orgId: string): Promise<string | null> {
    const rows = await em.execute<{ name: string }[]>(
      `select "name" from "organization" where "id" = ? and "deleted_at" is null`,
      [orgId],
      'all',
    );
    return rows[0]?.name ?? null;
  }

  private async recipients(em: EntityManager, account: AccountRow): Promise<Recipient[]> {
    if (account.billing_email) return [{ email: account.billing_email, tag: 'billing' }];
    const owners = await em.execute<{ id: string; email: string }[]>(
      `select u."id", u."email" from "membership" m join "user_account" u on u."id" = m."user_id"
        where m."org_id" = ? and m."role" = 'owner' and u."deleted_at" is null order by u."id"`,
      [account.org_id],
      'all',
    );
    return owners.map((o) => ({ email: o.email, tag: o.id }));
  }

  /** The notices an invoice in this state calls for; returns the new outbox ids. */
  async forInvoice(em: EntityManager, account: AccountRow, invoice: InvoiceRecord, plans: readonly PlanDefinition[]): Promise<string[]> {
    const paid = invoice.status === 'paid' && invoice.amountPaid > 0;
    const failed = (invoice.status === 'open' || invoice.status === 'uncollectible') && invoice.attempted && invoice.attemptCount > 0;
    if (!paid && !failed) return [];
    const orgName = await this.orgName(em, account.org_id);
    if (!orgName) return [];
    const planName = account.plan_id ? planById(plans, account.plan_id)?.name : undefined;
    const common = {
      orgName,
      ...(invoice.number ? { invoiceNumber: invoice.number } : {}),
      ...(planName ? { planName } : {}),
      ...(invoice.periodEnd ? { periodEnd: invoice.periodEnd.toISOString() } : {}),
      manageUrl: this.manageUrl,
    };
    const ids: string[] = [];
    // The first recipient's key names only the invoice (and attempt): one notice whoever it
    // reaches (the billing e-mail may become known between two events of the same invoice).
    const recipients = await this.recipients(em, account);
    for (const [index, to] of recipients.entries()) {
      const who = index === 0 ? '' : `:${to.tag}`;
      const queued = paid
        ? await this.outbox.queueEmail(em, {
            templateId: 'billing.receipt',
            to: to.email,
            data: { ...common, amountMinor: invoice.amountPaid, currency: invoice.currency },
            dedupeKey: `billing.receipt:${invoice.id}${who}`,
          })
        : await this.outbox.queueEmail(em, {
            templateId: 'billing.payment_failed',
            to: to.email,
            data: {
              ...common,
              amountMinor: invoice.amountRemaining,
              currency: invoice.currency,
              ...(invoice.nextPaymentAttempt ? { nextAttemptAt: invoice.nextPaymentAttempt.toISOString() } : {}),
            },
            // One notice per failed attempt of this invoice.
            dedupeKey: `billing.payment_failed:${invoice.id}:${invoice.attemptCount}${who}`,
          });
      if (queued.id) ids.push(queued.id);
    }
    return ids;
  }
}
