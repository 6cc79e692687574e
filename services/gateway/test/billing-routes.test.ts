import { billingService } from '@sessionpix/billing';
import { DEFAULT_BILLING_PLANS } from '@sessionpix/contracts';
import { gatewayService } from '@sessionpix/gateway';
import { eventually, type FakeStripe, seedPricesFor, startFakeStripe } from '@sessionpix/testing';
import { bearer, type Gateway, registerUser, signIn, startGateway } from './accounts-support';

/**
 * Owners subscribe through Stripe Checkout and manage billing in the Customer Portal; the
 * gateway asks the billing service for both (it holds no Stripe key), and access follows Stripe's
 * webhooks — never the redirect back from Checkout.
 */
describe('billing routes', () => {
  let gw: Gateway;
  let fake: FakeStripe;
  let owner: Awaited<ReturnType<typeof registerUser>>;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeStripe({ prices: seedPricesFor(DEFAULT_BILLING_PLANS) });
    gw = await startGateway(
      'billingroutes',
      { SESSIONPIX_SERVICES: 'gateway,billing', STRIPE_WEBHOOK_SECRETS: 'whsec_routes', ...fake.env() },
      { services: [gatewayService, billingService] },
    );
    fake.setWebhook({ url: `${gw.proc.httpUrl!}/v1/billing/webhook`, secret: 'whsec_routes' });
    owner = await registerUser(gw, { orgName: 'Checkout Rooms' });
    headers = bearer((await signIn(gw, owner.email, owner.password)).accessToken, owner.orgId);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('checkout: the owner gets a Stripe URL; access starts with Stripe’s webhook, not the redirect', async () => {
    const first = await gw.http.post('/v1/billing/checkout').set(headers).send({ plan: 'studio' }).expect(201);
    expect(first.body).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_fake\/checkout\/cs_test_/), sessionId: expect.stringMatching(/^cs_test_/) });
    // A second click (or a retried request) gets the same session: the idempotency key is deterministic.
    const again = await gw.http.post('/v1/billing/checkout').set(headers).send({ plan: 'studio' }).expect(201);
    expect(again.body.sessionId).toBe(first.body.sessionId);
    expect(fake.customers.size).toBe(1);
    const customer = [...fake.customers.values()][0];
    expect(customer.metadata).toEqual({ org_id: owner.orgId });
    const session = fake.checkoutSessions.get(first.body.sessionId as string)!;
    expect(session).toMatchObject({ mode: 'subscription', client_reference_id: owner.orgId, customer: customer.id });

    // Coming back from Checkout grants nothing.
    const before = await gw.http.get('/v1/billing').set(headers).expect(200);
    expect(before.body.entitlements).toMatchObject({ planId: 'free', access: 'none' });

    await fake.completeCheckout(first.body.sessionId as string, { card: { brand: 'amex', last4: '0005' } });
    const after = await eventually(async () => {
      const res = await gw.http.get('/v1/billing').set(headers).expect(200);
      return res.body.entitlements.access === 'full' ? res.body : undefined;
    });
    expect(after).toMatchObject({
      entitlements: { planId: 'studio', planName: 'Studio', access: 'full', photosPerPeriod: 5000, photosUsed: 0 },
      subscription: { status: 'active', cancelAtPeriodEnd: false },
      card: { brand: 'amex', last4: '0005' },
      billingEmail: owner.email,
    });

    // Subscribed: another checkout is refused; the portal is where plans change.
    const conflict = await gw.http.post('/v1/billing/checkout').set(headers).send({ plan: 'facility' }).expect(409);
    expect(conflict.body.code).toBe('billing_conflict');
    const portal = await gw.http.post('/v1/billing/portal').set(headers).expect(200);
    expect(portal.body.url).toMatch(/\/_fake\/portal\/bps_/);

    // Every write to Stripe carried an idempotency key.
    const writes = fake.requests.filter((r) => r.method === 'POST');
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.filter((r) => !r.idempotencyKey)).toEqual([]);
  });

  it('refuses a plan that is not for sale', async () => {
    for (const plan of ['free', 'platinum']) {
      const res = await gw.http.post('/v1/billing/checkout').set(headers).send({ plan }).expect(400);
      expect(res.body.code).toBe('unknown_plan');
    }
  });

  it('P21: audits every checkout and portal visit in the org’s log', async () => {
    const log = await gw.http.get('/v1/audit-log').set(headers).expect(200);
    const actions = (log.body.items as { action: string }[]).map((e) => e.action);
    expect(actions).toContain('billing.checkout_started');
    expect(actions).toContain('billing.portal_opened');
  });
});
