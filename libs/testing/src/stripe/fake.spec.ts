import Stripe from 'stripe';
import { encodeForm, parseForm } from './form';
import { type FakeStripe, startFakeStripe } from './server';

/** The fake Stripe speaks stripe-node's wire format, and behaves like Stripe where billing relies on it. */
describe('the fake Stripe', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeAll(async () => {
    fake = await startFakeStripe({ prices: [{ lookupKey: 'plan_a', unitAmount: 1500 }] });
    const url = new URL(fake.url);
    stripe = new Stripe('sk_test_fake', { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('parses bracketed form parameters into objects and arrays', () => {
    expect(parseForm('a[b][c]=1&line_items[0][price]=p&line_items[1][price]=q&expand[0]=x&created[gte]=5')).toEqual({
      a: { b: { c: '1' } },
      line_items: [{ price: 'p' }, { price: 'q' }],
      expand: ['x'],
      created: { gte: '5' },
    });
    expect(parseForm(encodeForm({ metadata: { org_id: 'o' }, list: ['x', 'y'] }))).toEqual({ metadata: { org_id: 'o' }, list: ['x', 'y'] });
  });

  it('honours Idempotency-Key: the same request gets the same object, different parameters an idempotency_error', async () => {
    const a = await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'k-1' });
    const b = await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'k-1' });
    expect(b.id).toBe(a.id);
    await expect(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'k-1' })).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });

  it('lists events newest first, by created[gte], a page at a time, and hides those older than 30 days', async () => {
    const customer = fake.createCustomer();
    const old = await fake.at(-31 * 86_400, () => fake.updateCustomer(customer.id as string, { name: 'old' }));
    void old;
    const since = fake.now();
    for (let i = 0; i < 5; i++) await fake.updateCustomer(customer.id as string, { description: `v${i}` });
    const page = await stripe.events.list({ created: { gte: since }, limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const e of stripe.events.list({ created: { gte: since }, limit: 2 })) all.push(e.id);
    expect(all).toHaveLength(5);
    const recorded = fake.events.filter((e) => e.created >= since).map((e) => e.id as string);
    expect(all).toEqual([...recorded].reverse());
    const everything: string[] = [];
    for await (const e of stripe.events.list({ limit: 100 })) everything.push(e.id);
    expect(everything).not.toContain(fake.events.find((e) => (e.data as { object: { name?: string } }).object.name === 'old')?.id);
  });

  it('fails with 5xx on demand', async () => {
    fake.failNext(1, 502);
    await expect(stripe.prices.list()).rejects.toMatchObject({ statusCode: 502 });
    expect((await stripe.prices.list({ lookup_keys: ['plan_a'] })).data[0].unit_amount).toBe(1500);
  });

  it('signs webhooks the way stripe-node verifies them', () => {
    const event = { id: 'evt_1', object: 'event', type: 'customer.updated', data: { object: {} } };
    const payload = fake.payloadOf(event);
    const header = fake.signatureFor(payload, { secret: 'whsec_spec' });
    expect(Stripe.webhooks.constructEvent(payload, header, 'whsec_spec', 300).id).toBe('evt_1');
  });
});
