import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { type BillingStack, startBillingStack } from './support';

/**
 * Stripe's webhook at the gateway: signature checked on the exact bytes (several secrets while
 * rotating, 300 s tolerance), ledgered (metadata and a hash, never the payload) and queued;
 * anything else is a 400 that stores nothing; a duplicate is a no-op.
 */
describe('billing: Stripe webhook receipt', () => {
  let stack: BillingStack;

  beforeAll(async () => {
    stack = await startBillingStack('billwebhook');
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** A real event the fake recorded (not delivered), to send by hand. */
  async function recordedEvent(): Promise<Record<string, unknown>> {
    stack.fake.setDelivery(false);
    try {
      const customer = stack.fake.createCustomer({ email: 'nobody@example.com' });
      return await stack.fake.updateCustomer(customer.id as string, { phone: '+15555550123' }).then(() => stack.fake.lastEvent('customer.updated'));
    } finally {
      stack.fake.setDelivery(true);
    }
  }

  const post = (body: string, signature?: string) =>
    stack.http
      .post('/v1/billing/webhook')
      .set({ 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'stripe-signature': signature } : {}) })
      .send(body);

  async function rows(eventId: string): Promise<number> {
    const [row] = await stack.sql<{ n: number }>(`select count(*)::int as n from billing_event where stripe_event_id = $1`, [eventId]);
    return row.n;
  }

  it('refuses unsigned, forged, stale, re-serialised and altered deliveries with a 400, storing nothing', async () => {
    const event = await recordedEvent();
    const payload = stack.fake.payloadOf(event);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, string | undefined][] = [
      ['unsigned', payload, undefined],
      ['garbage header', payload, 'not-a-signature'],
      ['forged: signed with another secret', payload, stack.fake.signatureFor(payload, { secret: `whsec_${randomBytes(12).toString('hex')}` })],
      ['stale: signed 301 s ago', payload, stack.fake.signatureFor(payload, { timestamp: now - 301 })],
      ['re-serialised: same JSON, other bytes', JSON.stringify(event), stack.fake.signatureFor(payload)],
      ['altered after signing', payload.replace('+15555550123', '+15555550999'), stack.fake.signatureFor(payload)],
    ];
    for (const [what, body, signature] of cases) {
      const res = await post(body, signature);
      expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status: 400, code: 'invalid_signature' });
    }
    expect(await rows(event.id as string)).toBe(0);
    // Stripe's own header over the exact bytes is accepted.
    const ok = await post(payload, stack.fake.signatureFor(payload));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ received: true, duplicate: false });
    expect(await rows(event.id as string)).toBe(1);
  });

  it('accepts an event signed 299 s ago and one signed with any active secret (rotation)', async () => {
    const older = await recordedEvent();
    const payload = stack.fake.payloadOf(older);
    expect((await post(payload, stack.fake.signatureFor(payload, { timestamp: Math.floor(Date.now() / 1000) - 299 }))).status).toBe(200);
    // The gateway has two active secrets (a rotation in progress): the new one works as well.
    const rotated = await recordedEvent();
    const body = stack.fake.payloadOf(rotated);
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: stack.nextSecret });
    expect((await post(body, header)).body).toEqual({ received: true, duplicate: false });
  });

  it('ledgers what the event is about and a hash of it — not the payload (P5) — then applies it', async () => {
    const event = await recordedEvent();
    const payload = stack.fake.payloadOf(event);
    expect((await post(payload, stack.fake.signatureFor(payload))).status).toBe(200);
    const [row] = await stack.sql(`select * from billing_event where stripe_event_id = $1`, [event.id]);
    expect(row).toMatchObject({
      type: 'customer.updated',
      api_version: stack.fake.apiVersion,
      object_type: 'customer',
      object_id: (event.data as { object: { id: string } }).object.id,
      source: 'webhook',
      payload_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(row)).not.toContain('+15555550123');
    expect(JSON.stringify(row)).not.toContain('nobody@example.com');
    // The customer belongs to no org of ours: recorded as unmatched, nothing applied, no crash.
    await stack.settled();
    expect(await stack.ledger(event.id as string)).toMatchObject({ status: 'unmatched', org_id: null });
  });

  it('the same event delivered twice in a row, and many times at once, makes one row and one side effect', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    stack.fake.setDelivery(false);
    const session = await stack.checkout.checkout(orgId, ownerId, 'studio');
    const { invoice } = await stack.fake.completeCheckout(session.sessionId);
    stack.fake.setDelivery(true);
    const paid = stack.fake.events.find((e) => e.type === 'invoice.paid' && (e.data as { object: { id: string } }).object.id === invoice.id)!;
    const others = stack.fake.events.filter((e) => e !== paid && e.created >= paid.created - 5);

    // In a row.
    const payload = stack.fake.payloadOf(paid);
    const first = await post(payload, stack.fake.signatureFor(payload));
    const second = await post(payload, stack.fake.signatureFor(payload));
    expect([first.body.duplicate, second.body.duplicate]).toEqual([false, true]);

    // At once: the rest of the checkout's events, each delivered eight times concurrently.
    const deliveries = others.flatMap((e) => Array.from({ length: 8 }, () => stack.fake.deliver(e)));
    const statuses = await Promise.all(deliveries);
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set([200]));
    await stack.settled();

    for (const e of [paid, ...others]) expect(await rows(e.id as string), e.type as string).toBe(1);
    const receipts = await stack.sql(`select * from email_outbox where template_id = 'billing.receipt' and data->>'orgName' = (select name from organization where id = $1)`, [orgId]);
    expect(receipts).toHaveLength(1);
    expect(await stack.account(orgId)).toMatchObject({ access: 'full', plan_id: 'studio' });
  });

  it('answers 413 for a body too large to be a Stripe event, storing nothing', async () => {
    const res = await post(JSON.stringify({ id: 'evt_big', padding: 'x'.repeat(600 * 1024) }), 't=1,v1=00');
    expect(res.status).toBe(413);
  });
});
