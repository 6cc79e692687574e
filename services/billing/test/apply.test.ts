import { eventually } from '@sessionpix/testing';
import { type BillingStack, everythingStored, startBillingStack } from './support';

/**
 * Applying Stripe's events: order does not matter (the object is re-fetched), one customer at a
 * time, a Stripe failure leaves the event failed with its error and nothing half-written until a
 * retry applies it, unknown types are ignored, unknown orgs are recorded, and access follows
 * Stripe's status (past_due is a grace period, unpaid or canceled revokes).
 */
describe('billing: applying Stripe events', () => {
  let stack: BillingStack;

  beforeAll(async () => {
    stack = await startBillingStack('billapply');
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Events the fake records while `fn` runs, not delivered. */
  async function quietly(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const before = stack.fake.events.length;
    stack.fake.setDelivery(false);
    try {
      await fn();
    } finally {
      stack.fake.setDelivery(true);
    }
    return stack.fake.events.slice(before);
  }

  it('customer.subscription.updated before .created: the final state is Stripe’s', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const session = await stack.checkout.checkout(orgId, ownerId, 'studio');
    let subscriptionId = '';
    const events = await quietly(async () => {
      subscriptionId = (await stack.fake.completeCheckout(session.sessionId)).subscription.id as string;
      await stack.fake.changePlan(subscriptionId, 'sessionpix_facility_monthly');
      await stack.fake.cancel(subscriptionId, { atPeriodEnd: true });
    });
    // Newest first: every update before the creation and the checkout.
    for (const event of [...events].reverse()) expect((await stack.fake.deliver(event)).status).toBe(200);
    await stack.settled();
    const [sub] = await stack.sql(`select * from billing_subscription where stripe_subscription_id = $1`, [subscriptionId]);
    expect(sub).toMatchObject({ org_id: orgId, status: 'active', price_lookup_key: 'sessionpix_facility_monthly', plan_id: 'facility', cancel_at_period_end: true });
    expect(await stack.account(orgId)).toMatchObject({ access: 'full', plan_id: 'facility', stripe_subscription_id: subscriptionId });
  });

  it('two events in the same second both apply, and the later state wins', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const { subscriptionId } = await stack.subscribe(orgId, ownerId);
    stack.fake.freeze(stack.fake.now());
    const events = await quietly(async () => {
      await stack.fake.changePlan(subscriptionId, 'sessionpix_facility_monthly');
      await stack.fake.cancel(subscriptionId, { atPeriodEnd: true });
    }).finally(() => stack.fake.freeze(null));
    expect(events).toHaveLength(2);
    expect(events[0].created).toBe(events[1].created);
    await Promise.all(events.map((e) => stack.fake.deliver(e)));
    await stack.settled();
    for (const e of events) expect((await stack.ledger(e.id as string))?.status).toBe('applied');
    const [sub] = await stack.sql(`select plan_id, cancel_at_period_end from billing_subscription where stripe_subscription_id = $1`, [subscriptionId]);
    expect(sub).toEqual({ plan_id: 'facility', cancel_at_period_end: true });
  });

  it('records an event type billing does not act on as ignored', async () => {
    const customer = stack.fake.createCustomer();
    const event = await stack.fake.emit('customer.tax_id.created', { id: 'txi_123', object: 'tax_id', customer: customer.id });
    const odd = await stack.fake.emit('radar.early_fraud_warning.created', { id: 'issfr_1', object: 'radar.early_fraud_warning' });
    await stack.settled();
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'ignored', last_error: null });
    expect(await stack.ledger(odd.id as string)).toMatchObject({ status: 'ignored' });
  });

  it('a Stripe outage while applying leaves the event failed with the error, nothing half-written; the retry applies it', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const { subscriptionId } = await stack.subscribe(orgId, ownerId);
    const before = await everythingStored(stack);
    // Stripe answers 500 to everything (the client retries once) until the outage ends.
    stack.fake.setOutage(true);
    const [event] = await quietly(() => stack.fake.changePlan(subscriptionId, 'sessionpix_facility_monthly'));
    await stack.fake.deliver(event);
    const failed = await eventually(async () => {
      const row = await stack.ledger(event.id as string);
      return row?.status === 'failed' ? row : undefined;
    });
    expect(failed.last_error).toMatch(/StripeAPIError|fake Stripe is failing/);
    expect(failed.attempts).toBeGreaterThanOrEqual(1);
    const [sub] = await stack.sql(`select plan_id from billing_subscription where stripe_subscription_id = $1`, [subscriptionId]);
    expect(sub.plan_id).toBe('studio');
    // Nothing else moved either (the failure itself is the ledger row's only change).
    const after = JSON.parse(await everythingStored(stack)) as unknown[];
    const ledgerIndex = after.indexOf('billing_event');
    expect(JSON.stringify(after.slice(0, ledgerIndex))).toBe(JSON.stringify((JSON.parse(before) as unknown[]).slice(0, ledgerIndex)));
    stack.fake.setOutage(false);
    await stack.settled(30_000);
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'applied', last_error: null });
    expect(await stack.account(orgId)).toMatchObject({ plan_id: 'facility' });
  });

  it('past_due is a grace period; unpaid revokes access, and the org falls back to the free tier', async () => {
    const { orgId, ownerId, ownerEmail } = await stack.newOrg();
    const { subscriptionId } = await stack.subscribe(orgId, ownerId, 'studio');
    expect(await stack.account(orgId)).toMatchObject({ access: 'full', plan_id: 'studio' });

    const { invoice } = await stack.fake.renew(subscriptionId, { fail: true });
    await stack.settled();
    expect(await stack.account(orgId)).toMatchObject({ access: 'grace', plan_id: 'studio' });
    const status = await stack.checkout.status(orgId);
    expect(status.entitlements).toMatchObject({ planId: 'studio', access: 'grace' });

    await stack.fake.retryInvoice(invoice.id as string, { succeed: false });
    await stack.settled();
    const dunning = await stack.sql<{ dedupe_key: string; recipient: string }>(
      `select dedupe_key, recipient from email_outbox where template_id = 'billing.payment_failed' and dedupe_key like $1 order by dedupe_key`,
      [`billing.payment_failed:${invoice.id as string}:%`],
    );
    // One notice per failed attempt, to the billing e-mail (the owner's, given at checkout).
    expect(dunning).toEqual([
      { dedupe_key: `billing.payment_failed:${invoice.id as string}:1`, recipient: ownerEmail },
      { dedupe_key: `billing.payment_failed:${invoice.id as string}:2`, recipient: ownerEmail },
    ]);

    await stack.fake.markUnpaid(subscriptionId);
    await stack.settled();
    expect(await stack.account(orgId)).toMatchObject({ access: 'revoked', plan_id: null });
    const after = await stack.checkout.status(orgId);
    expect(after.entitlements).toMatchObject({ planId: 'free', access: 'revoked', photosPerPeriod: 100 });
    // The free tier counts the calendar month in UTC.
    expect(after.entitlements.periodStart).toMatch(/^\d{4}-\d{2}-01T00:00:00\.000Z$/);
  });

  it('records refunds and a lost dispute, matched to the invoice they paid', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const { chargeId, invoiceId } = await stack.subscribe(orgId, ownerId, 'studio');
    const refund = await stack.fake.refund(chargeId!, { amount: 1000 });
    const dispute = await stack.fake.dispute(chargeId!);
    await stack.fake.closeDispute(dispute.id as string, 'lost');
    await stack.settled();
    const [r] = await stack.sql(`select * from billing_refund where stripe_refund_id = $1`, [refund.id]);
    expect(r).toMatchObject({ org_id: orgId, stripe_invoice_id: invoiceId, amount: '1000', currency: 'usd', status: 'succeeded' });
    const [d] = await stack.sql(`select * from billing_dispute where stripe_dispute_id = $1`, [dispute.id]);
    expect(d).toMatchObject({ org_id: orgId, stripe_invoice_id: invoiceId, amount: '2900', status: 'lost', reason: 'fraudulent' });
  });

  it('an event for an org sessionpix does not have is recorded, unmatched, without a crash', async () => {
    const customer = stack.fake.createCustomer({ email: 'stranger@example.com', metadata: { org_id: '0190b7a0-0000-7000-8000-000000000000' } });
    const event = await stack.fake.updateCustomer(customer.id as string, { name: 'Stranger' }).then(() => stack.fake.lastEvent());
    await stack.settled();
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'unmatched', org_id: null });
    expect((await stack.ledger(event.id as string))?.last_error).toMatch(/belongs to no org/);
    const [n] = await stack.sql<{ n: number }>(`select count(*)::int as n from billing_account where stripe_customer_id = $1`, [customer.id]);
    expect(n.n).toBe(0);
    // The billing team sees it in the report.
    const report = await stack.reports.build(new Date(Date.now() - 600_000), new Date(Date.now() + 60_000), 'test');
    expect(report.unmatchedEvents).toContainEqual(expect.objectContaining({ eventId: event.id, customerId: customer.id }));
  });

  it('P5: a customer.updated carrying name, address and phone stores none of them — only id, brand, last four, billing e-mail', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const pii = {
      name: 'Jenny Rosen',
      phone: '+15555550199',
      address: { city: 'San Francisco', country: 'US', line1: '1234 Fake Street', line2: 'Studio B', postal_code: '94102', state: 'CA' },
      shipping: { name: 'Jenny Rosen', phone: '+15555550199', address: { city: 'Oakland', country: 'US', line1: '55 Harbor Way', line2: null, postal_code: '94607', state: 'CA' } },
      email: 'Billing.Desk@Example.com',
    };
    const { customerId } = await stack.subscribe(orgId, ownerId, 'studio', {
      card: { brand: 'mastercard', last4: '4444', exp_month: 12, exp_year: 2033 },
      billing: { name: 'Jenny Rosen', phone: '+15555550199', email: 'jenny.card@example.com', address: pii.address },
    });
    await stack.fake.updateCustomer(customerId, pii);
    await stack.settled();
    const event = stack.fake.lastEvent('customer.updated');
    expect((event.data as { object: Record<string, unknown> }).object).toMatchObject({ name: 'Jenny Rosen', phone: '+15555550199' });
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'applied', org_id: orgId });

    expect(await stack.account(orgId)).toMatchObject({
      stripe_customer_id: customerId,
      billing_email: 'billing.desk@example.com',
      card_brand: 'mastercard',
      card_last4: '4444',
    });
    const stored = await everythingStored(stack);
    const outbox = JSON.stringify(await stack.sql(`select * from email_outbox`));
    for (const value of [
      'Jenny',
      'Rosen',
      '5555550199',
      'San Francisco',
      'Fake Street',
      'Studio B',
      '94102',
      'Oakland',
      'Harbor Way',
      '94607',
      'jenny.card@example.com',
    ]) {
      expect(stored, value).not.toContain(value);
      expect(outbox, value).not.toContain(value);
    }
    // The card's expiry year, as a value of its own: the same four digits inside a random id are not it.
    const expiryYear = /(?<![0-9a-f])2033(?![0-9a-f])/i;
    expect(stored).not.toMatch(expiryYear);
    expect(outbox).not.toMatch(expiryYear);
    // The ledger keeps a hash of each payload, never the payload.
    const ledger = await stack.sql(`select * from billing_event`);
    expect(Object.keys(ledger[0]).sort()).toEqual(
      [
        'api_version',
        'applied_at',
        'attempts',
        'id',
        'last_error',
        'object_id',
        'object_type',
        'org_id',
        'payload_sha256',
        'received_at',
        'run',
        'source',
        'status',
        'stripe_created_at',
        'stripe_customer_id',
        'stripe_event_id',
        'type',
        'updated_at',
      ].sort(),
    );
  });
});
