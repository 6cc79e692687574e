import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { PlanDefinition } from '@sessionpix/contracts';
import type { EntityManager } from '@sessionpix/db';
import { BillingNotices } from './notices';
import {
  accountByCustomer,
  accountByOrg,
  invoiceRow,
  linkCustomer,
  orgExists,
  recomputeAccess,
  subscriptionRow,
  updateCustomerFields,
  upsertInvoice,
  upsertSubscription,
} from './store';
import type { CustomerRecord, InvoiceRecord, SubscriptionRecord } from './stripe/records';
import { StripeApi } from './stripe/stripe-api';

/** One field that differed between this database and Stripe before a sync wrote Stripe's value. */
export interface FieldDiff {
  entity: 'customer' | 'subscription' | 'invoice';
  entityId: string;
  field: string;
  local: string | null;
  stripe: string | null;
}

export interface SyncResult {
  diffs: FieldDiff[];
  /** Outbox rows written (to be enqueued after the commit). */
  outboxIds: string[];
}

/** Raw SQL returns timestamps as PostgreSQL text ("2026-11-27 16:16:24+00"): compare instants. */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?|Z)$/;

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && PG_TIMESTAMP.test(value)) return new Date(value).toISOString();
  return String(value);
}

function compare(diffs: FieldDiff[], entity: FieldDiff['entity'], entityId: string, field: string, local: unknown, stripe: unknown): void {
  const a = text(local);
  const b = text(stripe);
  if (a !== b) diffs.push({ entity, entityId, field, local: a, stripe: b });
}

/**
 * Brings this database in line with Stripe's current objects, inside the caller's transaction
 * and under the customer's lock. The event worker, the replay and the sweep all go through here;
 * the diffs it returns are what the sweep reports as drift.
 */
@Injectable()
export class StripeSync {
  readonly plans: readonly PlanDefinition[];

  constructor(
    private readonly api: StripeApi,
    private readonly notices: BillingNotices,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.plans = config.BILLING_PLANS;
  }

  /** Serializes everything done for one Stripe customer (or object) until the transaction ends. */
  async lock(em: EntityManager, key: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`billing:${key}`]);
  }

  /**
   * The org a Stripe customer belongs to: the one it is linked to, or the org its metadata names
   * (we put it there when we created the customer) when that org exists. Null: an unknown org.
   */
  async orgOfCustomer(em: EntityManager, customerId: string, hint?: string | null): Promise<string | null> {
    const account = await accountByCustomer(em, customerId);
    if (account) return account.org_id;
    let orgId = hint ?? null;
    if (!orgId) orgId = (await this.api.customer(customerId)).orgIdHint;
    if (!orgId || !(await orgExists(em, orgId))) return null;
    return (await linkCustomer(em, orgId, customerId)) === 'linked' ? orgId : null;
  }

  /** P5: the customer's e-mail and its default card's brand and last four. */
  async syncCustomer(em: EntityManager, orgId: string, customer: CustomerRecord): Promise<SyncResult> {
    const before = await accountByOrg(em, orgId);
    let brand: string | null = null;
    let last4: string | null = null;
    if (!customer.deleted && customer.defaultPaymentMethodId) {
      const pm = await this.api.paymentMethod(customer.defaultPaymentMethodId);
      brand = pm.brand;
      last4 = pm.last4;
    }
    const diffs: FieldDiff[] = [];
    compare(diffs, 'customer', customer.id, 'billing_email', before?.billing_email, customer.email);
    compare(diffs, 'customer', customer.id, 'card_brand', before?.card_brand, brand);
    compare(diffs, 'customer', customer.id, 'card_last4', before?.card_last4, last4);
    compare(diffs, 'customer', customer.id, 'deleted', before?.customer_deleted_at ? 'true' : 'false', customer.deleted ? 'true' : 'false');
    await updateCustomerFields(em, orgId, {
      billingEmail: customer.email,
      defaultPaymentMethodId: customer.deleted ? null : customer.defaultPaymentMethodId,
      cardBrand: brand,
      cardLast4: last4,
      customerDeleted: customer.deleted,
    });
    return { diffs, outboxIds: [] };
  }

  async syncSubscription(em: EntityManager, orgId: string, sub: SubscriptionRecord): Promise<SyncResult> {
    const before = await subscriptionRow(em, sub.id);
    const diffs: FieldDiff[] = [];
    if (!before) {
      diffs.push({ entity: 'subscription', entityId: sub.id, field: 'exists', local: null, stripe: sub.status });
    } else {
      compare(diffs, 'subscription', sub.id, 'status', before.status, sub.status);
      compare(diffs, 'subscription', sub.id, 'price_lookup_key', before.price_lookup_key, sub.lookupKey);
      compare(diffs, 'subscription', sub.id, 'current_period_end', before.current_period_end, sub.currentPeriodEnd);
      compare(diffs, 'subscription', sub.id, 'cancel_at_period_end', before.cancel_at_period_end, sub.cancelAtPeriodEnd);
    }
    await upsertSubscription(em, orgId, sub, this.plans);
    await recomputeAccess(em, orgId, this.plans);
    return { diffs, outboxIds: [] };
  }

  async syncInvoice(em: EntityManager, orgId: string, invoice: InvoiceRecord): Promise<SyncResult> {
    const before = await invoiceRow(em, invoice.id);
    const diffs: FieldDiff[] = [];
    if (!before) {
      diffs.push({ entity: 'invoice', entityId: invoice.id, field: 'exists', local: null, stripe: invoice.status });
    } else {
      compare(diffs, 'invoice', invoice.id, 'status', before.status, invoice.status);
      compare(diffs, 'invoice', invoice.id, 'amount_paid', Number(before.amount_paid), invoice.amountPaid);
      compare(diffs, 'invoice', invoice.id, 'amount_due', Number(before.amount_due), invoice.amountDue);
      compare(diffs, 'invoice', invoice.id, 'attempt_count', before.attempt_count, invoice.attemptCount);
    }
    await upsertInvoice(em, orgId, invoice);
    const account = await accountByOrg(em, orgId);
    const outboxIds = account ? await this.notices.forInvoice(em, account, invoice, this.plans) : [];
    return { diffs, outboxIds };
  }
}
