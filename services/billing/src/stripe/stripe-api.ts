import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import Stripe from 'stripe';
import {
  chargeRecord,
  type ChargeRecord,
  checkoutRecord,
  type CheckoutRecord,
  customerRecord,
  type CustomerRecord,
  disputeRecord,
  type DisputeRecord,
  invoiceRecord,
  type InvoiceRecord,
  paymentMethodRecord,
  type PaymentMethodRecord,
  refundRecord,
  type RefundRecord,
  subscriptionRecord,
  type SubscriptionRecord,
} from './records';

/**
 * The Stripe API version this code is written against, pinned: Stripe sends webhooks and answers
 * requests in it whatever the account's default is. stripe-node 23's own version.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const satisfies Stripe.LatestApiVersion;

export const STRIPE = Symbol('sessionpix:stripe');

/** Stripe's client, pointed at STRIPE_API_BASE_URL (api.stripe.com, or the fake on loopback). */
export function createStripeClient(config: AppConfig): Stripe {
  if (!config.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const base = new URL(config.STRIPE_API_BASE_URL);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(config.STRIPE_SECRET_KEY, {
    apiVersion: STRIPE_API_VERSION,
    host: base.hostname,
    port: base.port || (protocol === 'https' ? 443 : 80),
    protocol,
    // One quick retry for a blip; the job queue retries the rest (with backoff) and keeps the error.
    maxNetworkRetries: 1,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'sessionpix' },
  });
}

/** Stripe said the object does not exist. */
export class StripeNotFoundError extends Error {
  override name = 'StripeNotFoundError';
}

/** Stripe could not be reached, or answered 5xx or 429: retrying later may work. */
export function isStripeUnavailable(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    (err instanceof Stripe.errors.StripeError && (err.statusCode ?? 0) >= 500)
  );
}

function notFound(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError && (err.statusCode === 404 || err.code === 'resource_missing');
}

async function found<T>(what: string, fetch: () => Promise<T>): Promise<T> {
  try {
    return await fetch();
  } catch (err) {
    if (notFound(err)) throw new StripeNotFoundError(`Stripe has no ${what}`);
    throw err;
  }
}

/** An event as Stripe lists it, for the ledger: its own fields and the bytes to hash. */
export interface ListedEvent {
  event: { id: string; type: string; created: number; api_version: string | null; data: { object: unknown } };
  payload: string;
}

/**
 * Every call sessionpix makes to Stripe. Reads return the records of records.ts, never Stripe's
 * objects (P5); writes carry a deterministic idempotency key chosen by the caller.
 */
@Injectable()
export class StripeApi {
  constructor(@Inject(STRIPE) private readonly stripe: Stripe) {}

  async customer(id: string): Promise<CustomerRecord> {
    return customerRecord(await found(`customer ${id}`, () => this.stripe.customers.retrieve(id)));
  }

  async paymentMethod(id: string): Promise<PaymentMethodRecord> {
    return paymentMethodRecord(await found(`payment method ${id}`, () => this.stripe.paymentMethods.retrieve(id)));
  }

  async subscription(id: string): Promise<SubscriptionRecord> {
    return subscriptionRecord(await found(`subscription ${id}`, () => this.stripe.subscriptions.retrieve(id)));
  }

  async subscriptionsOf(customerId: string): Promise<SubscriptionRecord[]> {
    const out: SubscriptionRecord[] = [];
    for await (const sub of this.stripe.subscriptions.list({ customer: customerId, status: 'all', limit: 100 })) {
      out.push(subscriptionRecord(sub));
    }
    return out;
  }

  async invoice(id: string): Promise<InvoiceRecord> {
    return invoiceRecord(await found(`invoice ${id}`, () => this.stripe.invoices.retrieve(id, { expand: ['payments'] })));
  }

  /** The customer's latest invoices, newest first. */
  async latestInvoicesOf(customerId: string, limit: number): Promise<InvoiceRecord[]> {
    const page = await this.stripe.invoices.list({ customer: customerId, limit, expand: ['data.payments'] });
    return page.data.map(invoiceRecord);
  }

  /** Invoices Stripe created in [from, to] with the given status. */
  async invoicesCreatedBetween(from: Date, to: Date, status?: Stripe.InvoiceListParams.Status): Promise<InvoiceRecord[]> {
    const out: InvoiceRecord[] = [];
    const created = { gte: Math.floor(from.getTime() / 1000), lte: Math.floor(to.getTime() / 1000) };
    for await (const invoice of this.stripe.invoices.list({ created, ...(status ? { status } : {}), limit: 100, expand: ['data.payments'] })) {
      out.push(invoiceRecord(invoice));
    }
    return out;
  }

  async refund(id: string): Promise<RefundRecord> {
    return refundRecord(await found(`refund ${id}`, () => this.stripe.refunds.retrieve(id)));
  }

  async refundsOfCharge(chargeId: string): Promise<RefundRecord[]> {
    const out: RefundRecord[] = [];
    for await (const refund of this.stripe.refunds.list({ charge: chargeId, limit: 100 })) out.push(refundRecord(refund));
    return out;
  }

  async refundsCreatedBetween(from: Date, to: Date): Promise<RefundRecord[]> {
    const out: RefundRecord[] = [];
    const created = { gte: Math.floor(from.getTime() / 1000), lte: Math.floor(to.getTime() / 1000) };
    for await (const refund of this.stripe.refunds.list({ created, limit: 100 })) out.push(refundRecord(refund));
    return out;
  }

  async disputesCreatedBetween(from: Date, to: Date): Promise<DisputeRecord[]> {
    const out: DisputeRecord[] = [];
    const created = { gte: Math.floor(from.getTime() / 1000), lte: Math.floor(to.getTime() / 1000) };
    for await (const dispute of this.stripe.disputes.list({ created, limit: 100 })) out.push(disputeRecord(dispute));
    return out;
  }

  async charge(id: string): Promise<ChargeRecord> {
    return chargeRecord(await found(`charge ${id}`, () => this.stripe.charges.retrieve(id)));
  }

  async dispute(id: string): Promise<DisputeRecord> {
    return disputeRecord(await found(`dispute ${id}`, () => this.stripe.disputes.retrieve(id)));
  }

  async checkoutSession(id: string): Promise<CheckoutRecord> {
    return checkoutRecord(await found(`checkout session ${id}`, () => this.stripe.checkout.sessions.retrieve(id)));
  }

  async event(id: string): Promise<ListedEvent> {
    const event = await found(`event ${id}`, () => this.stripe.events.retrieve(id));
    return listed(event);
  }

  /** Events Stripe created at or after `gte` (and at or before `lte`), newest first, every page. */
  async *events(gte: Date, lte?: Date): AsyncGenerator<ListedEvent> {
    const created = { gte: Math.floor(gte.getTime() / 1000), ...(lte ? { lte: Math.floor(lte.getTime() / 1000) } : {}) };
    for await (const event of this.stripe.events.list({ created, limit: 100 })) yield listed(event);
  }

  async priceIdForLookupKey(lookupKey: string): Promise<string | null> {
    const page = await this.stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 });
    return page.data[0]?.id ?? null;
  }

  async createCustomer(orgId: string, email: string | null, idempotencyKey: string): Promise<string> {
    const customer = await this.stripe.customers.create(
      { ...(email ? { email } : {}), metadata: { org_id: orgId } },
      { idempotencyKey },
    );
    return customer.id;
  }

  async createCheckoutSession(
    params: { orgId: string; customerId: string; priceId: string; successUrl: string; cancelUrl: string },
    idempotencyKey: string,
  ): Promise<{ id: string; url: string }> {
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer: params.customerId,
        client_reference_id: params.orgId,
        line_items: [{ price: params.priceId, quantity: 1 }],
        success_url: params.successUrl,
        cancel_url: params.cancelUrl,
        metadata: { org_id: params.orgId },
        subscription_data: { metadata: { org_id: params.orgId } },
      },
      { idempotencyKey },
    );
    if (!session.url) throw new Error('Stripe returned a checkout session without a URL');
    return { id: session.id, url: session.url };
  }

  async createPortalSession(customerId: string, returnUrl: string, idempotencyKey: string): Promise<string> {
    const session = await this.stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }, { idempotencyKey });
    return session.url;
  }
}

function listed(event: Stripe.Event): ListedEvent {
  const e = event as unknown as ListedEvent['event'];
  return { event: e, payload: JSON.stringify(event) };
}
