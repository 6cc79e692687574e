import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type FormObject, int, list, obj, parseForm, str } from './form';
import {
  type Card,
  chargeShape,
  checkoutSessionShape,
  customerShape,
  disputeShape,
  eventShape,
  invoicePaymentShape,
  invoiceShape,
  type Obj,
  paymentMethodShape,
  portalSessionShape,
  priceShape,
  type PriceSeed,
  refundShape,
  stripeId,
  subscriptionItemShape,
  subscriptionShape,
} from './shapes';

/**
 * A small, stateful stand-in for the Stripe API endpoints sessionpix uses, spoken over HTTP the
 * way stripe-node speaks to Stripe (form-encoded parameters, bearer key, `Idempotency-Key`,
 * Stripe's list and error envelopes), so the billing service's own Stripe client is pointed at
 * it with `STRIPE_API_BASE_URL` and nothing else changes. Its objects have Stripe's shapes (see
 * shapes.ts). Tests drive it like a customer and Stripe would (complete a checkout, renew, fail
 * a payment, refund, dispute, cancel), and it records an event for every change, lists events
 * like Stripe (newest first, `created[gte]`, pagination, nothing older than 30 days) and delivers
 * them as webhooks signed with stripe-node's own `generateTestHeaderString`. It can fail with 5xx
 * on demand and stop delivering webhooks (an outage).
 */

export interface FakeStripeOptions {
  port?: number;
  /** Where to listen (loopback unless said; its URL always names 127.0.0.1). */
  host?: string;
  /** Only this key is accepted; any sk_test_… key when unset. */
  apiKey?: string;
  /** Where to deliver webhooks, and the secret to sign them with. */
  webhook?: { url: string; secret: string };
  /** Prices to serve, by lookup key. */
  prices?: PriceSeed[];
  /** The API version stamped on events (stripe-node's pinned version by default). */
  apiVersion?: string;
}

export interface DeliveryResult {
  eventId: string;
  status: number;
}

export interface RecordedStripeRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
}

const DAY = 86_400;
const PERIOD = 30 * DAY;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Obj,
  ) {
    super(String(body.error?.message ?? status));
  }
}

function missing(kind: string, id: string): HttpError {
  return new HttpError(404, {
    error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, param: 'id' },
  });
}

function invalid(message: string, param?: string): HttpError {
  return new HttpError(400, { error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } });
}

export class FakeStripe {
  readonly customers = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly invoicePayments = new Map<string, Obj[]>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  readonly paymentMethods = new Map<string, Obj>();
  readonly checkoutSessions = new Map<string, Obj>();
  readonly portalSessions = new Map<string, Obj>();
  readonly prices = new Map<string, Obj>();
  /** Every event ever created, oldest first (listing hides those older than 30 days). */
  readonly events: Obj[] = [];
  readonly requests: RecordedStripeRequest[] = [];
  /** Webhook deliveries that were not answered with 2xx (status 0: no answer at all). */
  readonly failedDeliveries: DeliveryResult[] = [];

  private readonly idempotency = new Map<string, { fingerprint: string; status: number; body: string }>();
  private failures: { remaining: number; status: number } | null = null;
  private outage = false;
  private deliveryEnabled = true;
  private clockOffset = 0;
  private frozenAt: number | null = null;
  private eventSeq = 0;
  private latencyMs = 0;
  /** API requests being answered right now. */
  inFlight = 0;
  private webhook: { url: string; secret: string } | null;
  readonly apiVersion: string;

  constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: FakeStripeOptions,
  ) {
    this.webhook = opts.webhook ?? null;
    this.apiVersion = opts.apiVersion ?? Stripe.API_VERSION;
    for (const seed of opts.prices ?? []) this.addPrice(seed);
  }

  // -----------------------------------------------------------------------------------------
  // configuration and control

  /** The variables that point sessionpix's billing service here. */
  env(): Record<string, string> {
    return { STRIPE_API_BASE_URL: this.url, STRIPE_SECRET_KEY: this.opts.apiKey ?? 'sk_test_sessionpix' };
  }

  now(): number {
    return this.frozenAt ?? Math.floor(Date.now() / 1000) + this.clockOffset;
  }

  /** Stops the fake's clock at `seconds` (null: runs again), e.g. for events in the same second. */
  freeze(seconds: number | null): void {
    this.frozenAt = seconds;
  }

  /** Runs `fn` with the fake's clock moved by `seconds` (negative: in the past). */
  async at<T>(offsetSeconds: number, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.clockOffset;
    this.clockOffset = offsetSeconds;
    try {
      return await fn();
    } finally {
      this.clockOffset = previous;
    }
  }

  setWebhook(webhook: { url: string; secret: string } | null): void {
    this.webhook = webhook;
  }

  /** false: events are recorded (and listed) but not delivered, as during a webhook outage. */
  setDelivery(enabled: boolean): void {
    this.deliveryEnabled = enabled;
  }

  /** The next `count` API requests answer `status` (a Stripe api_error). */
  failNext(count: number, status = 500): void {
    this.failures = { remaining: count, status };
  }

  /** Every API request answers 503 until turned off. */
  setOutage(on: boolean): void {
    this.outage = on;
  }

  /** Delay every API answer (to catch a worker mid-request). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  addPrice(seed: PriceSeed): Obj {
    const price = priceShape(stripeId('price', 24), this.now(), seed);
    this.prices.set(price.id as string, price);
    return price;
  }

  priceByLookupKey(lookupKey: string): Obj {
    const price = [...this.prices.values()].find((p) => p.lookup_key === lookupKey);
    if (!price) throw new Error(`the fake has no price with lookup_key ${lookupKey}`);
    return price;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Answers still held back by setLatency would otherwise keep it open.
    this.server.closeAllConnections();
    await closed;
  }

  // -----------------------------------------------------------------------------------------
  // events and webhooks

  /** Records an event for `object` (a snapshot) and delivers it when delivery is on. */
  async emit(type: string, object: Obj, previous?: Obj): Promise<Obj> {
    // Events of the same second keep their order in listings through this sequence.
    const event = eventShape(stripeId('evt', 24), this.now(), type, object, this.apiVersion, previous);
    Object.defineProperty(event, '__seq', { value: ++this.eventSeq, enumerable: false });
    this.events.push(event);
    if (this.deliveryEnabled && this.webhook) {
      // Like Stripe, a failed delivery does not undo what happened; it is noted (and the
      // receiver's replay finds the event later).
      await this.deliver(event).then(
        (result) => {
          if (result.status >= 300) this.failedDeliveries.push(result);
        },
        () => this.failedDeliveries.push({ eventId: event.id as string, status: 0 }),
      );
    }
    return event;
  }

  /** The exact bytes Stripe would POST for `event` (pretty-printed JSON). */
  payloadOf(event: Obj): string {
    return JSON.stringify(event, null, 2);
  }

  signatureFor(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
    const secret = opts.secret ?? this.webhook?.secret;
    if (!secret) throw new Error('no webhook secret configured');
    // Stripe signs when it sends, whenever the event happened.
    return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000) });
  }

  /** POSTs one event to the webhook URL, signed; returns the HTTP status. */
  async deliver(event: Obj, opts: { secret?: string; timestamp?: number; url?: string } = {}): Promise<DeliveryResult> {
    const url = opts.url ?? this.webhook?.url;
    if (!url) throw new Error('no webhook URL configured');
    const payload = this.payloadOf(event);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': this.signatureFor(payload, opts), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      body: payload,
    });
    await res.arrayBuffer();
    return { eventId: event.id as string, status: res.status };
  }

  /** Delivers every recorded event after `since` (an event id), in order: Stripe catching up. */
  async redeliverSince(sinceEventId: string | null): Promise<DeliveryResult[]> {
    const start = sinceEventId ? this.events.findIndex((e) => e.id === sinceEventId) + 1 : 0;
    const results: DeliveryResult[] = [];
    for (const event of this.events.slice(start)) results.push(await this.deliver(event));
    return results;
  }

  lastEvent(type?: string): Obj {
    const event = [...this.events].reverse().find((e) => !type || e.type === type);
    if (!event) throw new Error(`no ${type ?? ''} event yet`);
    return event;
  }

  // -----------------------------------------------------------------------------------------
  // what customers and Stripe do (each records the events Stripe would send)

  createCustomer(fields: Obj = {}): Obj {
    const customer = customerShape(stripeId('cus', 14), this.now(), fields);
    this.customers.set(customer.id as string, customer);
    return customer;
  }

  private customer(id: string): Obj {
    const customer = this.customers.get(id);
    if (!customer || customer.deleted) throw missing('customer', id);
    return customer;
  }

  /** The customer pays in Checkout: a card, a subscription, its first invoice paid. */
  async completeCheckout(
    sessionId: string,
    opts: { card?: Card; billing?: Obj; email?: string; trialDays?: number } = {},
  ): Promise<{ subscription: Obj; invoice: Obj; charge: Obj | null }> {
    const session = this.checkoutSessions.get(sessionId);
    if (!session) throw missing('checkout.session', sessionId);
    if (session.status !== 'open') throw new Error(`checkout session ${sessionId} is ${session.status}`);
    let customer = session.customer ? this.customer(session.customer as string) : null;
    if (!customer) {
      customer = this.createCustomer({ email: opts.email ?? session.customer_email ?? null });
      session.customer = customer.id;
    }
    const pm = await this.attachCard(customer.id as string, opts.card ?? { brand: 'visa', last4: '4242' }, opts.billing);
    const price = this.prices.get(session.__price as string)!;
    const now = this.now();
    const trialEnd = opts.trialDays ? now + opts.trialDays * DAY : null;
    const subscriptionId = stripeId('sub', 24);
    const item = subscriptionItemShape(subscriptionId, now, price, now, trialEnd ?? now + PERIOD);
    const subscription = subscriptionShape(subscriptionId, now, customer.id as string, item, {
      metadata: structuredClone(session.__subscriptionMetadata ?? {}),
      status: trialEnd ? 'trialing' : 'active',
      trial_start: trialEnd ? now : null,
      trial_end: trialEnd,
      default_payment_method: pm.id,
    });
    this.subscriptions.set(subscriptionId, subscription);
    const { invoice, charge } = await this.invoiceFor(subscription, 'subscription_create', trialEnd ? 'free' : 'pay', { emitSubscription: 'customer.subscription.created' });
    session.status = 'complete';
    session.payment_status = 'paid';
    session.subscription = subscriptionId;
    session.invoice = invoice.id;
    session.customer_details = {
      address: structuredClone(customer.address),
      email: customer.email,
      name: opts.billing?.name ?? null,
      phone: opts.billing?.phone ?? null,
      tax_exempt: 'none',
      tax_ids: [],
      business_name: null,
      individual_name: null,
    };
    await this.emit('checkout.session.completed', this.visible(session));
    return { subscription, invoice, charge };
  }

  /** A new card becomes the customer's default (the portal's "update payment method"). */
  async attachCard(customerId: string, card: Card, billing: Obj = {}): Promise<Obj> {
    const customer = this.customer(customerId);
    const pm = paymentMethodShape(stripeId('pm', 24), this.now(), customerId, card, billing);
    this.paymentMethods.set(pm.id as string, pm);
    await this.emit('payment_method.attached', pm);
    const previous = { invoice_settings: structuredClone(customer.invoice_settings) };
    customer.invoice_settings.default_payment_method = pm.id;
    await this.emit('customer.updated', customer, previous);
    return pm;
  }

  /** The customer changes details in the portal (name, address, phone, e-mail…). */
  async updateCustomer(customerId: string, patch: Obj): Promise<Obj> {
    const customer = this.customer(customerId);
    const previous: Obj = {};
    for (const key of Object.keys(patch)) previous[key] = structuredClone(customer[key]);
    Object.assign(customer, structuredClone(patch));
    await this.emit('customer.updated', customer, previous);
    return customer;
  }

  /** The next period starts: a new invoice, paid or (with `fail`) declined → past_due. */
  async renew(subscriptionId: string, opts: { fail?: boolean } = {}): Promise<{ invoice: Obj; charge: Obj | null }> {
    const sub = this.subscription(subscriptionId);
    const item = sub.items.data[0];
    const previous = { items: structuredClone(sub.items) };
    item.current_period_start = item.current_period_end;
    item.current_period_end = item.current_period_start + PERIOD;
    if (sub.status === 'trialing') sub.status = 'active';
    const result = await this.invoiceFor(sub, 'subscription_cycle', opts.fail ? 'decline' : 'pay', { previous });
    return result;
  }

  /** Stripe retries a declined invoice: declined again (attempt_count grows) or paid. */
  async retryInvoice(invoiceId: string, opts: { succeed: boolean }): Promise<Obj> {
    const invoice = this.invoice(invoiceId);
    const sub = invoice.subscription ? this.subscription(invoice.subscription as string) : null;
    if (opts.succeed) {
      await this.payInvoice(invoice, sub);
    } else {
      await this.declineInvoice(invoice, sub);
    }
    return invoice;
  }

  /** Stripe gives up after the last retry: the subscription becomes unpaid. */
  async markUnpaid(subscriptionId: string): Promise<Obj> {
    const sub = this.subscription(subscriptionId);
    const previous = { status: sub.status };
    sub.status = 'unpaid';
    await this.emit('customer.subscription.updated', sub, previous);
    return sub;
  }

  async changePlan(subscriptionId: string, lookupKey: string): Promise<Obj> {
    const sub = this.subscription(subscriptionId);
    const previous = { items: structuredClone(sub.items) };
    sub.items.data[0].price = structuredClone(this.priceByLookupKey(lookupKey));
    await this.emit('customer.subscription.updated', sub, previous);
    return sub;
  }

  /** Cancels now (customer.subscription.deleted), or at the period's end. */
  async cancel(subscriptionId: string, opts: { atPeriodEnd?: boolean } = {}): Promise<Obj> {
    const sub = this.subscription(subscriptionId);
    const now = this.now();
    if (opts.atPeriodEnd) {
      const previous = { cancel_at_period_end: false, cancel_at: null };
      sub.cancel_at_period_end = true;
      sub.cancel_at = sub.items.data[0].current_period_end;
      sub.cancellation_details = { comment: null, feedback: null, reason: 'cancellation_requested' };
      await this.emit('customer.subscription.updated', sub, previous);
    } else {
      sub.status = 'canceled';
      sub.canceled_at = now;
      sub.ended_at = now;
      sub.cancellation_details = { comment: null, feedback: null, reason: 'cancellation_requested' };
      await this.emit('customer.subscription.deleted', sub);
    }
    return sub;
  }

  async refund(chargeId: string, opts: { amount?: number; reason?: string } = {}): Promise<Obj> {
    const charge = this.charge(chargeId);
    const amount = opts.amount ?? charge.amount - charge.amount_refunded;
    const refund = refundShape(stripeId('re', 24), this.now(), charge, amount, opts.reason ?? 'requested_by_customer');
    this.refunds.set(refund.id as string, refund);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    charge.refunds.data.unshift(structuredClone(refund));
    await this.emit('refund.created', refund);
    await this.emit('charge.refunded', charge, previous);
    return refund;
  }

  async dispute(chargeId: string, reason = 'fraudulent'): Promise<Obj> {
    const charge = this.charge(chargeId);
    const dispute = disputeShape(stripeId('dp', 24), this.now(), charge, reason);
    this.disputes.set(dispute.id as string, dispute);
    charge.disputed = true;
    await this.emit('charge.dispute.created', dispute);
    return dispute;
  }

  async closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<Obj> {
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw missing('dispute', disputeId);
    const previous = { status: dispute.status };
    dispute.status = outcome;
    if (outcome === 'lost') await this.emit('charge.dispute.funds_withdrawn', dispute, previous);
    await this.emit('charge.dispute.closed', dispute, previous);
    return dispute;
  }

  private subscription(id: string): Obj {
    const sub = this.subscriptions.get(id);
    if (!sub) throw missing('subscription', id);
    return sub;
  }

  private invoice(id: string): Obj {
    const invoice = this.invoices.get(id);
    if (!invoice) throw missing('invoice', id);
    return invoice;
  }

  private charge(id: string): Obj {
    const charge = this.charges.get(id);
    if (!charge) throw missing('charge', id);
    return charge;
  }

  /** An invoice for the subscription's current period: paid, declined, or free (a trial). */
  private async invoiceFor(
    sub: Obj,
    billingReason: string,
    outcome: 'pay' | 'decline' | 'free',
    opts: { emitSubscription?: string; previous?: Obj } = {},
  ): Promise<{ invoice: Obj; charge: Obj | null }> {
    const customer = this.customer(sub.customer as string);
    const item = sub.items.data[0];
    const price = item.price;
    const amount = outcome === 'free' ? 0 : (price.unit_amount as number);
    const invoice = invoiceShape(stripeId('in', 24), this.now(), customer, {
      amount,
      currency: price.currency,
      subscription: sub.id,
      periodStart: item.current_period_start,
      periodEnd: item.current_period_end,
      billingReason,
      price,
    });
    invoice.status = 'open';
    invoice.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`;
    invoice.status_transitions.finalized_at = this.now();
    this.invoices.set(invoice.id as string, invoice);
    sub.latest_invoice = invoice.id;
    if (opts.emitSubscription) await this.emit(opts.emitSubscription, sub);
    await this.emit('invoice.created', invoice);
    await this.emit('invoice.finalized', invoice);
    let charge: Obj | null = null;
    if (outcome === 'free') {
      invoice.status = 'paid';
      invoice.status_transitions.paid_at = this.now();
      await this.emit('invoice.paid', invoice);
    } else if (outcome === 'pay') {
      charge = await this.payInvoice(invoice, null);
    } else {
      charge = await this.declineInvoice(invoice, sub);
    }
    if (opts.previous) await this.emit('customer.subscription.updated', sub, opts.previous);
    return { invoice, charge };
  }

  private async attemptCharge(invoice: Obj, paid: boolean): Promise<Obj> {
    const customer = this.customer(invoice.customer as string);
    const pmId = customer.invoice_settings.default_payment_method as string | null;
    const pm = pmId ? this.paymentMethods.get(pmId) : undefined;
    if (!pm) throw new Error(`customer ${customer.id as string} has no default payment method`);
    const paymentIntent = stripeId('pi', 24);
    const charge = chargeShape(stripeId('ch', 24), this.now(), {
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer,
      paymentIntent,
      paymentMethod: pm,
      paid,
    });
    this.charges.set(charge.id as string, charge);
    const payments = this.invoicePayments.get(invoice.id as string) ?? [];
    payments.unshift(invoicePaymentShape(invoice, paymentIntent, this.now(), paid));
    this.invoicePayments.set(invoice.id as string, payments);
    return charge;
  }

  private async payInvoice(invoice: Obj, sub: Obj | null): Promise<Obj> {
    const charge = await this.attemptCharge(invoice, true);
    invoice.attempt_count += 1;
    invoice.attempted = true;
    invoice.status = 'paid';
    invoice.amount_paid = invoice.amount_due;
    invoice.amount_remaining = 0;
    invoice.next_payment_attempt = null;
    invoice.status_transitions.paid_at = this.now();
    await this.emit('charge.succeeded', charge);
    await this.emit('invoice.paid', invoice);
    await this.emit('invoice.payment_succeeded', invoice);
    if (sub && sub.status !== 'active') {
      const previous = { status: sub.status };
      sub.status = 'active';
      await this.emit('customer.subscription.updated', sub, previous);
    }
    return charge;
  }

  private async declineInvoice(invoice: Obj, sub: Obj | null): Promise<Obj> {
    const charge = await this.attemptCharge(invoice, false);
    invoice.attempt_count += 1;
    invoice.attempted = true;
    invoice.next_payment_attempt = this.now() + 3 * DAY;
    await this.emit('charge.failed', charge);
    await this.emit('invoice.payment_failed', invoice);
    if (sub && sub.status === 'active') {
      const previous = { status: sub.status };
      sub.status = 'past_due';
      await this.emit('customer.subscription.updated', sub, previous);
    }
    return charge;
  }

  /** A copy without the fake's bookkeeping fields. */
  private visible(o: Obj): Obj {
    const copy: Obj = {};
    for (const [k, v] of Object.entries(o)) if (!k.startsWith('__')) copy[k] = structuredClone(v);
    return copy;
  }

  // -----------------------------------------------------------------------------------------
  // the HTTP API

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (url.pathname.startsWith('/_fake/')) return this.control(url, res);
    const idempotencyKey = header(req, 'idempotency-key');
    const record = (status: number) => this.requests.push({ method, path: url.pathname, idempotencyKey, status });
    this.inFlight += 1;
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs).unref());
      this.authorize(req);
      if (this.outage || (this.failures && this.failures.remaining > 0)) {
        const status = this.outage ? 503 : this.failures!.status;
        if (!this.outage) this.failures!.remaining -= 1;
        throw new HttpError(status, { error: { type: 'api_error', message: 'The fake Stripe is failing on purpose.' } });
      }
      const params = method === 'GET' || method === 'DELETE' ? parseForm(url.search.slice(1)) : parseForm(body);
      if (method === 'POST' && idempotencyKey) {
        const key = `${method} ${url.pathname} ${idempotencyKey}`;
        const fingerprint = createHash('sha256').update(body).digest('hex');
        const seen = this.idempotency.get(key);
        if (seen) {
          if (seen.fingerprint !== fingerprint) {
            throw new HttpError(400, {
              error: {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
              },
            });
          }
          record(seen.status);
          res.writeHead(seen.status, { 'content-type': 'application/json', 'idempotent-replayed': 'true', 'request-id': stripeId('req', 14) });
          res.end(seen.body);
          return;
        }
        const answer = this.route(method, url.pathname, params);
        const text = JSON.stringify(answer);
        this.idempotency.set(key, { fingerprint, status: 200, body: text });
        record(200);
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': stripeId('req', 14) });
        res.end(text);
        return;
      }
      const answer = this.route(method, url.pathname, params);
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': stripeId('req', 14) });
      res.end(JSON.stringify(answer));
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const payload = err instanceof HttpError ? err.body : { error: { type: 'api_error', message: String(err) } };
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req', 14) });
      res.end(JSON.stringify(payload));
    } finally {
      this.inFlight -= 1;
    }
  }

  private authorize(req: IncomingMessage): void {
    const auth = header(req, 'authorization') ?? '';
    const key = auth.replace(/^Bearer\s+/i, '');
    const ok = this.opts.apiKey ? key === this.opts.apiKey : /^(sk|rk)_test_/.test(key);
    if (!ok) {
      throw new HttpError(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
    }
  }

  private route(method: string, path: string, p: FormObject): Obj {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== 'v1') throw invalid(`Unrecognized request URL (${method}: ${path}).`);
    // Namespaced resources (checkout/sessions, billing_portal/sessions) are one resource name.
    const namespaced = parts[1] === 'checkout' || parts[1] === 'billing_portal';
    const [resource, id, sub] = namespaced ? [`${parts[1]}/${parts[2]}`, parts[3], parts[4]] : [parts[1], parts[2], parts[3]];
    const expand = list(p.expand);
    switch (`${method} ${resource}${id ? '/:id' : ''}${sub ? `/${sub}` : ''}`) {
      case 'POST customers':
        return this.createCustomer({
          email: str(p.email) ?? null,
          name: str(p.name) ?? null,
          metadata: obj(p.metadata),
        });
      case 'GET customers/:id': {
        const customer = this.customers.get(id);
        if (!customer) throw missing('customer', id);
        return this.expandCustomer(customer, expand);
      }
      case 'POST customers/:id': {
        const customer = this.customer(id);
        if (p.metadata) customer.metadata = { ...customer.metadata, ...obj(p.metadata) };
        if (str(p.email) !== undefined) customer.email = str(p.email);
        return customer;
      }
      case 'GET prices':
        return this.page(
          [...this.prices.values()].filter((x) => {
            const keys = list(p.lookup_keys);
            return keys.length === 0 || keys.includes(x.lookup_key as string);
          }),
          p,
          '/v1/prices',
        );
      case 'POST checkout/sessions':
        return this.createCheckoutSession(p);
      case 'GET checkout/sessions/:id': {
        const session = this.checkoutSessions.get(id);
        if (!session) throw missing('checkout.session', id);
        return this.visible(session);
      }
      case 'POST billing_portal/sessions': {
        const customer = str(p.customer);
        if (!customer) throw invalid('Missing required param: customer.', 'customer');
        this.customer(customer);
        const sessionId = stripeId('bps', 24);
        const session = portalSessionShape(sessionId, this.now(), customer, str(p.return_url) ?? null, `${this.url}/_fake/portal/${sessionId}`);
        this.portalSessions.set(sessionId, session);
        return session;
      }
      case 'GET subscriptions/:id':
        return this.subscription(id);
      case 'GET subscriptions': {
        const status = str(p.status);
        return this.page(
          [...this.subscriptions.values()]
            .filter((s) => !str(p.customer) || s.customer === str(p.customer))
            .filter((s) => (status === 'all' ? true : status ? s.status === status : s.status !== 'canceled'))
            .reverse(),
          p,
          '/v1/subscriptions',
        );
      }
      case 'GET invoices/:id':
        return this.expandInvoice(this.invoice(id), expand);
      case 'GET invoices':
        return this.page(
          this.filterCreated(
            [...this.invoices.values()]
              .filter((i) => !str(p.customer) || i.customer === str(p.customer))
              .filter((i) => !str(p.subscription) || i.subscription === str(p.subscription))
              .filter((i) => !str(p.status) || i.status === str(p.status)),
            p,
          ).reverse(),
          p,
          '/v1/invoices',
          (i) => this.expandInvoice(i, list(obj(p).expand).map((e) => e.replace(/^data\./, ''))),
        );
      case 'GET charges/:id': {
        const charge = this.charge(id);
        return charge;
      }
      case 'GET refunds/:id': {
        const refund = this.refunds.get(id);
        if (!refund) throw missing('refund', id);
        return refund;
      }
      case 'GET refunds':
        return this.page(
          this.filterCreated([...this.refunds.values()].filter((r) => !str(p.charge) || r.charge === str(p.charge)), p).reverse(),
          p,
          '/v1/refunds',
        );
      case 'GET disputes/:id': {
        const dispute = this.disputes.get(id);
        if (!dispute) throw missing('dispute', id);
        return dispute;
      }
      case 'GET disputes':
        return this.page(
          this.filterCreated([...this.disputes.values()].filter((d) => !str(p.charge) || d.charge === str(p.charge)), p).reverse(),
          p,
          '/v1/disputes',
        );
      case 'GET payment_methods/:id': {
        const pm = this.paymentMethods.get(id);
        if (!pm) throw missing('payment_method', id);
        return pm;
      }
      case 'GET events/:id': {
        const event = this.events.find((e) => e.id === id && e.created >= this.now() - 30 * DAY);
        if (!event) throw missing('event', id);
        return event;
      }
      case 'GET events': {
        const types = [...list(p.types), ...(str(p.type) ? [str(p.type)!] : [])];
        const listable = this.events
          .filter((e) => e.created >= this.now() - 30 * DAY)
          .filter((e) => types.length === 0 || types.includes(e.type as string));
        const sorted = this.filterCreated(listable, p).sort(
          (a, b) => b.created - a.created || (b as { __seq: number }).__seq - (a as { __seq: number }).__seq,
        );
        return this.page(sorted, p, '/v1/events');
      }
      default:
        throw invalid(`Unrecognized request URL (${method}: ${path}).`);
    }
  }

  private createCheckoutSession(p: FormObject): Obj {
    const mode = str(p.mode);
    if (mode !== 'subscription') throw invalid('The fake supports mode=subscription only.', 'mode');
    const items = Array.isArray(p.line_items) ? (p.line_items as FormObject[]) : [];
    const priceId = str(items[0]?.price);
    if (!priceId || !this.prices.has(priceId)) throw invalid(`No such price: '${priceId ?? ''}'`, 'line_items[0][price]');
    const customer = str(p.customer);
    if (customer) this.customer(customer);
    const price = this.prices.get(priceId)!;
    const id = `cs_test_${stripeId('x', 58).slice(2)}`;
    const session = checkoutSessionShape(id, this.now(), {
      mode,
      customer: customer ?? null,
      customer_email: str(p.customer_email) ?? null,
      client_reference_id: str(p.client_reference_id) ?? null,
      success_url: str(p.success_url) ?? null,
      cancel_url: str(p.cancel_url) ?? null,
      metadata: obj(p.metadata),
      amount: price.unit_amount,
      currency: price.currency,
      url: `${this.url}/_fake/checkout/${id}`,
    });
    Object.assign(session, { __price: priceId, __subscriptionMetadata: obj(obj(p.subscription_data).metadata) });
    this.checkoutSessions.set(id, session);
    return this.visible(session);
  }

  private expandCustomer(customer: Obj, expand: string[]): Obj {
    const copy = structuredClone(customer);
    if (expand.includes('invoice_settings.default_payment_method')) {
      const pmId = customer.invoice_settings?.default_payment_method as string | null;
      copy.invoice_settings.default_payment_method = pmId ? structuredClone(this.paymentMethods.get(pmId) ?? null) : null;
    }
    return copy;
  }

  private expandInvoice(invoice: Obj, expand: string[]): Obj {
    const copy = structuredClone(invoice);
    if (expand.includes('payments')) {
      const payments = this.invoicePayments.get(invoice.id as string) ?? [];
      copy.payments = { object: 'list', data: structuredClone(payments), has_more: false, url: `/v1/invoices/${invoice.id as string}/payments` };
    }
    return copy;
  }

  private filterCreated(items: Obj[], p: FormObject): Obj[] {
    const created = p.created;
    if (typeof created === 'string') return items.filter((x) => x.created === Number(created));
    const c = obj(created);
    const gte = int(c.gte);
    const gt = int(c.gt);
    const lte = int(c.lte);
    const lt = int(c.lt);
    return items.filter(
      (x) =>
        (gte === undefined || x.created >= gte) &&
        (gt === undefined || x.created > gt) &&
        (lte === undefined || x.created <= lte) &&
        (lt === undefined || x.created < lt),
    );
  }

  private page(items: Obj[], p: FormObject, url: string, map: (o: Obj) => Obj = (o) => o): Obj {
    const limit = Math.min(Math.max(int(p.limit) ?? 10, 1), 100);
    let start = 0;
    const after = str(p.starting_after);
    const before = str(p.ending_before);
    if (after) {
      const at = items.findIndex((x) => x.id === after);
      if (at < 0) throw invalid(`No such object: '${after}'`, 'starting_after');
      start = at + 1;
    }
    let slice = items.slice(start, start + limit);
    if (before) {
      const at = items.findIndex((x) => x.id === before);
      if (at < 0) throw invalid(`No such object: '${before}'`, 'ending_before');
      slice = items.slice(Math.max(0, at - limit), at);
    }
    const hasMore = before ? items.indexOf(slice[0]) > 0 : start + limit < items.length;
    return { object: 'list', data: slice.map((o) => map(this.visible(o))), has_more: hasMore, url };
  }

  /** Browser-facing pages for a laptop (`npm start`, compose): finish a checkout, leave the portal. */
  private async control(url: URL, res: ServerResponse): Promise<void> {
    const [, , kind, id] = url.pathname.split('/');
    try {
      if (kind === 'checkout' && id) {
        const session = this.checkoutSessions.get(id);
        if (!session) throw missing('checkout.session', id);
        if (session.status === 'open') await this.completeCheckout(id);
        res.writeHead(303, { location: (session.success_url as string | null) ?? '/' });
        res.end();
        return;
      }
      if (kind === 'portal' && id) {
        const session = this.portalSessions.get(id);
        if (!session) throw missing('billing_portal.session', id);
        res.writeHead(303, { location: (session.return_url as string | null) ?? '/' });
        res.end();
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(err instanceof HttpError ? err.status : 500, { 'content-type': 'text/plain' });
      res.end(String(err instanceof Error ? err.message : err));
    }
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the fake on loopback (a port picked by the OS unless given). */
export async function startFakeStripe(opts: FakeStripeOptions = {}): Promise<FakeStripe> {
  let fake: FakeStripe | undefined;
  const server = createServer((req, res) => {
    if (!fake) {
      res.writeHead(503).end();
      return;
    }
    fake.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  fake = new FakeStripe(server, `http://127.0.0.1:${port}`, opts);
  return fake;
}
