import {
  accessForSubscriptionStatus,
  type BillingAccess,
  hasPaidAccess,
  type PlanDefinition,
  planByLookupKey,
} from '@sessionpix/contracts';
import { type EntityManager, uuidv7 } from '@sessionpix/db';
import type { DisputeRecord, InvoiceRecord, RefundRecord, SubscriptionRecord } from './stripe/records';

/**
 * The billing tables, written with plain SQL inside the caller's transaction. Every write is an
 * upsert keyed by Stripe's id, so applying the same object twice changes nothing the second
 * time, and applying an older version after a newer one cannot happen: callers re-fetch the
 * current object from Stripe under the customer's lock.
 */

/** Raw SQL rows: PostgreSQL returns timestamps as text here (MikroORM's driver keeps them so). */
export interface AccountRow {
  id: string;
  org_id: string;
  stripe_customer_id: string | null;
  billing_email: string | null;
  card_brand: string | null;
  card_last4: string | null;
  default_payment_method_id: string | null;
  access: BillingAccess;
  plan_id: string | null;
  stripe_subscription_id: string | null;
  period_start: string | null;
  period_end: string | null;
  customer_deleted_at: string | null;
}

export interface SubscriptionRow {
  stripe_subscription_id: string;
  org_id: string | null;
  stripe_customer_id: string;
  status: string;
  price_id: string | null;
  price_lookup_key: string | null;
  plan_id: string | null;
  current_period_start: string | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  canceled_at: string | null;
  ended_at: string | null;
  stripe_created_at: string;
}

export interface InvoiceRow {
  stripe_invoice_id: string;
  org_id: string | null;
  status: string;
  currency: string;
  amount_due: string | number;
  amount_paid: string | number;
  amount_remaining: string | number;
  total: string | number;
  attempt_count: number;
  paid_at: string | null;
  payment_intent_id: string | null;
  charge_id: string | null;
}

export async function accountByOrg(em: EntityManager, orgId: string): Promise<AccountRow | null> {
  const rows = await em.execute<AccountRow[]>(`select * from "billing_account" where "org_id" = ?`, [orgId], 'all');
  return rows[0] ?? null;
}

export async function accountByCustomer(em: EntityManager, customerId: string): Promise<AccountRow | null> {
  const rows = await em.execute<AccountRow[]>(`select * from "billing_account" where "stripe_customer_id" = ?`, [customerId], 'all');
  return rows[0] ?? null;
}

export async function orgExists(em: EntityManager, orgId: string): Promise<boolean> {
  const rows = await em.execute<{ n: number }[]>(
    `select count(*)::int as "n" from "organization" where "id" = ? and "deleted_at" is null`,
    [orgId],
    'all',
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** The org's billing account, created (access none) when it has none. */
export async function ensureAccount(em: EntityManager, orgId: string): Promise<AccountRow> {
  const now = new Date();
  await em.execute(
    `insert into "billing_account" ("id", "created_at", "updated_at", "org_id", "access")
     values (?, ?, ?, ?, 'none') on conflict ("org_id") do nothing`,
    [uuidv7(), now, now, orgId],
  );
  return (await accountByOrg(em, orgId))!;
}

/**
 * Ties a Stripe customer to an org. A customer already tied to another org is not moved (that
 * would hand one org's subscription to another); the caller reports it.
 */
export async function linkCustomer(em: EntityManager, orgId: string, customerId: string): Promise<'linked' | 'conflict'> {
  const owner = await accountByCustomer(em, customerId);
  if (owner && owner.org_id !== orgId) return 'conflict';
  const account = await ensureAccount(em, orgId);
  if (account.stripe_customer_id && account.stripe_customer_id !== customerId) return 'conflict';
  if (!account.stripe_customer_id) {
    await em.execute(`update "billing_account" set "stripe_customer_id" = ?, "updated_at" = ? where "org_id" = ?`, [
      customerId,
      new Date(),
      orgId,
    ]);
  }
  return 'linked';
}

/** P5: the customer's e-mail, card brand and last four; nothing else of the customer. */
export async function updateCustomerFields(
  em: EntityManager,
  orgId: string,
  fields: {
    billingEmail: string | null;
    defaultPaymentMethodId: string | null;
    cardBrand: string | null;
    cardLast4: string | null;
    customerDeleted: boolean;
  },
): Promise<void> {
  await em.execute(
    `update "billing_account"
        set "billing_email" = ?, "default_payment_method_id" = ?, "card_brand" = ?, "card_last4" = ?,
            "customer_deleted_at" = case when ? then coalesce("customer_deleted_at", ?) else null end,
            "synced_at" = ?, "updated_at" = ?
      where "org_id" = ?`,
    [
      fields.billingEmail,
      fields.defaultPaymentMethodId,
      fields.cardBrand,
      fields.cardLast4,
      fields.customerDeleted,
      new Date(),
      new Date(),
      new Date(),
      orgId,
    ],
  );
}

export async function subscriptionRow(em: EntityManager, id: string): Promise<SubscriptionRow | null> {
  const rows = await em.execute<SubscriptionRow[]>(`select * from "billing_subscription" where "stripe_subscription_id" = ?`, [id], 'all');
  return rows[0] ?? null;
}

export async function upsertSubscription(
  em: EntityManager,
  orgId: string | null,
  sub: SubscriptionRecord,
  plans: readonly PlanDefinition[],
): Promise<void> {
  const now = new Date();
  const planId = planByLookupKey(plans, sub.lookupKey)?.id ?? null;
  await em.execute(
    `insert into "billing_subscription"
       ("id", "created_at", "updated_at", "org_id", "stripe_subscription_id", "stripe_customer_id", "status", "price_id",
        "price_lookup_key", "plan_id", "currency", "unit_amount", "current_period_start", "current_period_end",
        "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at", "stripe_created_at")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict ("stripe_subscription_id") do update set
       "updated_at" = excluded."updated_at", "org_id" = coalesce(excluded."org_id", "billing_subscription"."org_id"),
       "stripe_customer_id" = excluded."stripe_customer_id", "status" = excluded."status", "price_id" = excluded."price_id",
       "price_lookup_key" = excluded."price_lookup_key", "plan_id" = excluded."plan_id", "currency" = excluded."currency",
       "unit_amount" = excluded."unit_amount", "current_period_start" = excluded."current_period_start",
       "current_period_end" = excluded."current_period_end", "cancel_at_period_end" = excluded."cancel_at_period_end",
       "cancel_at" = excluded."cancel_at", "canceled_at" = excluded."canceled_at", "ended_at" = excluded."ended_at",
       "stripe_created_at" = excluded."stripe_created_at"`,
    [
      uuidv7(),
      now,
      now,
      orgId,
      sub.id,
      sub.customerId,
      sub.status,
      sub.priceId,
      sub.lookupKey,
      planId,
      sub.currency,
      sub.unitAmount,
      sub.currentPeriodStart,
      sub.currentPeriodEnd,
      sub.cancelAtPeriodEnd,
      sub.cancelAt,
      sub.canceledAt,
      sub.endedAt,
      sub.created,
    ],
  );
}

export async function invoiceRow(em: EntityManager, id: string): Promise<InvoiceRow | null> {
  const rows = await em.execute<InvoiceRow[]>(`select * from "billing_invoice" where "stripe_invoice_id" = ?`, [id], 'all');
  return rows[0] ?? null;
}

export async function upsertInvoice(em: EntityManager, orgId: string | null, invoice: InvoiceRecord): Promise<void> {
  const now = new Date();
  await em.execute(
    `insert into "billing_invoice"
       ("id", "created_at", "updated_at", "org_id", "stripe_invoice_id", "stripe_customer_id", "stripe_subscription_id",
        "number", "status", "billing_reason", "currency", "amount_due", "amount_paid", "amount_remaining", "total",
        "attempt_count", "next_payment_attempt", "period_start", "period_end", "paid_at", "payment_intent_id",
        "charge_id", "stripe_created_at")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict ("stripe_invoice_id") do update set
       "updated_at" = excluded."updated_at", "org_id" = coalesce(excluded."org_id", "billing_invoice"."org_id"),
       "stripe_subscription_id" = excluded."stripe_subscription_id", "number" = excluded."number",
       "status" = excluded."status", "billing_reason" = excluded."billing_reason", "currency" = excluded."currency",
       "amount_due" = excluded."amount_due", "amount_paid" = excluded."amount_paid",
       "amount_remaining" = excluded."amount_remaining", "total" = excluded."total",
       "attempt_count" = excluded."attempt_count", "next_payment_attempt" = excluded."next_payment_attempt",
       "period_start" = excluded."period_start", "period_end" = excluded."period_end", "paid_at" = excluded."paid_at",
       "payment_intent_id" = coalesce(excluded."payment_intent_id", "billing_invoice"."payment_intent_id"),
       "charge_id" = coalesce(excluded."charge_id", "billing_invoice"."charge_id"),
       "stripe_created_at" = excluded."stripe_created_at"`,
    [
      uuidv7(),
      now,
      now,
      orgId,
      invoice.id,
      invoice.customerId,
      invoice.subscriptionId,
      invoice.number,
      invoice.status,
      invoice.billingReason,
      invoice.currency,
      invoice.amountDue,
      invoice.amountPaid,
      invoice.amountRemaining,
      invoice.total,
      invoice.attemptCount,
      invoice.nextPaymentAttempt,
      invoice.periodStart,
      invoice.periodEnd,
      invoice.paidAt,
      invoice.paymentIntentId,
      invoice.chargeId,
      invoice.created,
    ],
  );
  // Refunds and disputes of this invoice's payment that arrived first are matched now: the
  // order in which Stripe's events are applied does not matter.
  if (invoice.paymentIntentId || invoice.chargeId) {
    for (const table of ['billing_refund', 'billing_dispute']) {
      await em.execute(
        `update "${table}" set "stripe_invoice_id" = ?, "org_id" = coalesce("org_id", ?), "updated_at" = ?
          where "stripe_invoice_id" is null
            and (("payment_intent_id" = ? and ? is not null) or ("stripe_charge_id" = ? and ? is not null))`,
        [invoice.id, orgId, now, invoice.paymentIntentId, invoice.paymentIntentId, invoice.chargeId, invoice.chargeId],
      );
    }
  }
}

/** Our invoice that a payment (intent or charge) paid: how refunds and disputes are matched. */
async function invoiceForPayment(
  em: EntityManager,
  paymentIntentId: string | null,
  chargeId: string | null,
): Promise<{ stripe_invoice_id: string; org_id: string | null } | null> {
  if (!paymentIntentId && !chargeId) return null;
  const rows = await em.execute<{ stripe_invoice_id: string; org_id: string | null }[]>(
    `select "stripe_invoice_id", "org_id" from "billing_invoice"
      where ("payment_intent_id" = ? and ? is not null) or ("charge_id" = ? and ? is not null)
      order by "stripe_created_at" desc limit 1`,
    [paymentIntentId, paymentIntentId, chargeId, chargeId],
    'all',
  );
  return rows[0] ?? null;
}

/** Refunds and disputes share one shape: a money movement against a payment, matched to its invoice. */
const REVERSAL_TABLES = {
  refund: { table: 'billing_refund', idColumn: 'stripe_refund_id' },
  dispute: { table: 'billing_dispute', idColumn: 'stripe_dispute_id' },
} as const;

async function upsertReversal(
  em: EntityManager,
  kind: keyof typeof REVERSAL_TABLES,
  orgId: string | null,
  record: RefundRecord | DisputeRecord,
): Promise<{ matched: boolean; orgId: string | null }> {
  const { table, idColumn } = REVERSAL_TABLES[kind];
  const invoice = await invoiceForPayment(em, record.paymentIntentId, record.chargeId);
  const org = orgId ?? invoice?.org_id ?? null;
  const now = new Date();
  await em.execute(
    `insert into "${table}"
       ("id", "created_at", "updated_at", "org_id", "${idColumn}", "stripe_charge_id", "payment_intent_id",
        "stripe_invoice_id", "amount", "currency", "status", "reason", "stripe_created_at")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict ("${idColumn}") do update set
       "updated_at" = excluded."updated_at", "org_id" = coalesce(excluded."org_id", "${table}"."org_id"),
       "stripe_charge_id" = excluded."stripe_charge_id", "payment_intent_id" = excluded."payment_intent_id",
       "stripe_invoice_id" = coalesce(excluded."stripe_invoice_id", "${table}"."stripe_invoice_id"),
       "amount" = excluded."amount", "currency" = excluded."currency", "status" = excluded."status",
       "reason" = excluded."reason"`,
    [
      uuidv7(),
      now,
      now,
      org,
      record.id,
      record.chargeId,
      record.paymentIntentId,
      invoice?.stripe_invoice_id ?? null,
      record.amount,
      record.currency,
      record.status,
      record.reason,
      record.created,
    ],
  );
  return { matched: invoice !== null, orgId: org };
}

export function upsertRefund(em: EntityManager, orgId: string | null, refund: RefundRecord) {
  return upsertReversal(em, 'refund', orgId, refund);
}

export function upsertDispute(em: EntityManager, orgId: string | null, dispute: DisputeRecord) {
  return upsertReversal(em, 'dispute', orgId, dispute);
}

/** Subscriptions that grant access come first; among equals, the newest. */
function rank(status: string): number {
  const access = accessForSubscriptionStatus(status);
  return access === 'full' ? 0 : access === 'grace' ? 1 : 2;
}

export interface AccessChange {
  before: { access: BillingAccess; planId: string | null };
  after: { access: BillingAccess; planId: string | null; periodStart: string | null; periodEnd: string | null };
}

/**
 * The org's access and plan from its subscriptions as this database now knows them: active or
 * trialing → full, past due → grace, anything else → revoked; no subscription ever → none.
 */
export async function recomputeAccess(em: EntityManager, orgId: string, plans: readonly PlanDefinition[]): Promise<AccessChange> {
  const account = await ensureAccount(em, orgId);
  const subs = await em.execute<SubscriptionRow[]>(
    `select * from "billing_subscription" where "org_id" = ? order by "stripe_created_at" desc`,
    [orgId],
    'all',
  );
  const deciding = [...subs].sort((a, b) => rank(a.status) - rank(b.status))[0];
  let access: BillingAccess = 'none';
  let planId: string | null = null;
  if (deciding) {
    access = accessForSubscriptionStatus(deciding.status);
    planId = hasPaidAccess(access) ? (deciding.plan_id ?? planByLookupKey(plans, deciding.price_lookup_key)?.id ?? null) : null;
  }
  const periodStart = deciding && hasPaidAccess(access) ? deciding.current_period_start : null;
  const periodEnd = deciding && hasPaidAccess(access) ? deciding.current_period_end : null;
  await em.execute(
    `update "billing_account" set "access" = ?, "plan_id" = ?, "stripe_subscription_id" = ?, "period_start" = ?,
            "period_end" = ?, "synced_at" = ?, "updated_at" = ? where "org_id" = ?`,
    [access, planId, deciding?.stripe_subscription_id ?? null, periodStart, periodEnd, new Date(), new Date(), orgId],
  );
  return { before: { access: account.access, planId: account.plan_id }, after: { access, planId, periodStart, periodEnd } };
}
