import type Stripe from 'stripe';

/**
 * P5, in code: the only fields of Stripe's objects that go further than this file. Each mapper
 * names what it keeps — ids, statuses and reason codes, periods, integer minor-unit amounts with
 * their currency, and of a customer only its e-mail (the billing e-mail) and of a card only its
 * brand and last four. Everything else a Stripe object carries (names, addresses, phone numbers,
 * billing details, card expiry and fingerprint, metadata other than our org id…) is dropped
 * here, before anything is stored or logged.
 */

export interface CustomerRecord {
  id: string;
  deleted: boolean;
  email: string | null;
  /** Our own org id, when we put it in the customer's metadata. */
  orgIdHint: string | null;
  defaultPaymentMethodId: string | null;
}

export interface PaymentMethodRecord {
  id: string;
  customerId: string | null;
  brand: string | null;
  last4: string | null;
}

export interface SubscriptionRecord {
  id: string;
  customerId: string;
  status: string;
  priceId: string | null;
  lookupKey: string | null;
  currency: string | null;
  unitAmount: number | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  created: Date;
  orgIdHint: string | null;
}

export interface InvoiceRecord {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  number: string | null;
  status: string;
  billingReason: string | null;
  currency: string;
  amountDue: number;
  amountPaid: number;
  amountRemaining: number;
  total: number;
  attemptCount: number;
  attempted: boolean;
  nextPaymentAttempt: Date | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  paidAt: Date | null;
  paymentIntentId: string | null;
  chargeId: string | null;
  created: Date;
}

export interface RefundRecord {
  id: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  customerId: string | null;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  created: Date;
}

export interface DisputeRecord {
  id: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  created: Date;
}

export interface ChargeRecord {
  id: string;
  customerId: string | null;
  paymentIntentId: string | null;
  refundIds: string[];
}

export interface CheckoutRecord {
  id: string;
  status: string | null;
  customerId: string | null;
  subscriptionId: string | null;
  clientReferenceId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'id' in value && typeof (value as { id: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return null;
}

function date(seconds: number | null | undefined): Date | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

function minor(amount: number | null | undefined): number {
  if (typeof amount !== 'number' || !Number.isInteger(amount)) throw new Error('Stripe amounts are integers in minor units');
  return amount;
}

function orgId(metadata: Stripe.Metadata | null | undefined): string | null {
  const value = metadata?.org_id;
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null;
}

function last4(value: unknown): string | null {
  return typeof value === 'string' && /^[0-9]{4}$/.test(value) ? value : null;
}

export function customerRecord(customer: Stripe.Customer | Stripe.DeletedCustomer): CustomerRecord {
  if ('deleted' in customer && customer.deleted) {
    return { id: customer.id, deleted: true, email: null, orgIdHint: null, defaultPaymentMethodId: null };
  }
  const c = customer as Stripe.Customer;
  return {
    id: c.id,
    deleted: false,
    email: typeof c.email === 'string' && c.email.includes('@') ? c.email.trim().toLowerCase() : null,
    orgIdHint: orgId(c.metadata),
    defaultPaymentMethodId: idOf(c.invoice_settings?.default_payment_method),
  };
}

export function paymentMethodRecord(pm: Stripe.PaymentMethod): PaymentMethodRecord {
  return {
    id: pm.id,
    customerId: idOf(pm.customer),
    brand: pm.card?.brand ?? null,
    last4: last4(pm.card?.last4),
  };
}

export function subscriptionRecord(sub: Stripe.Subscription): SubscriptionRecord {
  const item = sub.items?.data?.[0];
  const price = item?.price;
  return {
    id: sub.id,
    customerId: idOf(sub.customer) ?? '',
    status: sub.status,
    priceId: price?.id ?? null,
    lookupKey: price?.lookup_key ?? null,
    currency: price?.currency ?? sub.currency ?? null,
    unitAmount: typeof price?.unit_amount === 'number' ? minor(price.unit_amount) : null,
    currentPeriodStart: date(item?.current_period_start),
    currentPeriodEnd: date(item?.current_period_end),
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    cancelAt: date(sub.cancel_at),
    canceledAt: date(sub.canceled_at),
    endedAt: date(sub.ended_at),
    created: new Date(sub.created * 1000),
    orgIdHint: orgId(sub.metadata),
  };
}

export function invoiceRecord(invoice: Stripe.Invoice): InvoiceRecord {
  const fromParent = invoice.parent?.subscription_details?.subscription;
  const legacy = (invoice as unknown as { subscription?: unknown }).subscription;
  const payments = invoice.payments?.data ?? [];
  const settled = payments.find((p) => p.status === 'paid') ?? payments[0];
  return {
    id: invoice.id!,
    customerId: idOf(invoice.customer) ?? '',
    subscriptionId: idOf(fromParent) ?? idOf(legacy),
    number: invoice.number ?? null,
    status: invoice.status ?? 'draft',
    billingReason: invoice.billing_reason ?? null,
    currency: invoice.currency,
    amountDue: minor(invoice.amount_due),
    amountPaid: minor(invoice.amount_paid),
    amountRemaining: minor(invoice.amount_remaining),
    total: minor(invoice.total),
    attemptCount: invoice.attempt_count ?? 0,
    attempted: Boolean(invoice.attempted),
    nextPaymentAttempt: date(invoice.next_payment_attempt),
    periodStart: date(invoice.period_start),
    periodEnd: date(invoice.period_end),
    paidAt: date(invoice.status_transitions?.paid_at),
    paymentIntentId: idOf(settled?.payment?.payment_intent),
    chargeId: idOf(settled?.payment?.charge),
    created: new Date(invoice.created * 1000),
  };
}

export function refundRecord(refund: Stripe.Refund): RefundRecord {
  return {
    id: refund.id,
    chargeId: idOf(refund.charge),
    paymentIntentId: idOf(refund.payment_intent),
    customerId: idOf((refund as unknown as { customer?: unknown }).customer),
    amount: minor(refund.amount),
    currency: refund.currency,
    status: refund.status ?? 'pending',
    reason: refund.reason ?? null,
    created: new Date(refund.created * 1000),
  };
}

export function disputeRecord(dispute: Stripe.Dispute): DisputeRecord {
  return {
    id: dispute.id,
    chargeId: idOf(dispute.charge),
    paymentIntentId: idOf(dispute.payment_intent),
    amount: minor(dispute.amount),
    currency: dispute.currency,
    status: dispute.status,
    reason: dispute.reason ?? null,
    created: new Date(dispute.created * 1000),
  };
}

export function chargeRecord(charge: Stripe.Charge): ChargeRecord {
  return {
    id: charge.id,
    customerId: idOf(charge.customer),
    paymentIntentId: idOf(charge.payment_intent),
    refundIds: (charge.refunds?.data ?? []).map((r) => r.id),
  };
}

export function checkoutRecord(session: Stripe.Checkout.Session): CheckoutRecord {
  return {
    id: session.id,
    status: session.status ?? null,
    customerId: idOf(session.customer),
    subscriptionId: idOf(session.subscription),
    clientReferenceId:
      typeof session.client_reference_id === 'string' && UUID.test(session.client_reference_id)
        ? session.client_reference_id.toLowerCase()
        : null,
  };
}
