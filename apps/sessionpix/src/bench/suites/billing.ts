import { billingService, billingStore, CheckoutService, StripeApi } from '@sessionpix/billing';
import { loadConfig } from '@sessionpix/config';
import { emForSystem, MikroORM, Organization, uuidv7 } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import { startProcess } from '@sessionpix/runtime';
import { seedPricesFor, startFakeStripe } from '@sessionpix/testing';
import { REDIS_URL, suiteDatabase, suitePrefix } from '../env';
import { type BenchContext, interleaved, summarize, type Suite, timed, withConcurrency } from '../framework';

/** Ledgered events per sample. */
const EVENTS = 10_000;
/** Distinct subscriptions (orgs) the events are about. */
const ORGS = 200;
/** The billing-events queue's default concurrency (QUEUE_SETTINGS): the baseline's lanes. */
const CONCURRENCY = 4;
const ADD_CHUNK = 1_000;

interface Target {
  orgId: string;
  customerId: string;
  subscriptionId: string;
}

/**
 * Stripe events applied per second by the billing service: 10,000 `customer.subscription.updated`
 * events already in the ledger (as the webhook or the replay leaves them) go onto the
 * billing-events queue, and the clock runs until the ledger has them all `applied`. Each apply
 * takes the customer's advisory lock, re-fetches the subscription from the fake Stripe (over
 * HTTP, through stripe-node), upserts it, recomputes the org's access and marks the event, in one
 * transaction. The baseline is the same 10,000 transactions of bare database work — lock, ledger
 * row, subscription upsert, access, status — with the subscription already in memory: no
 * re-fetch, no queue, the worker's concurrency.
 */
export const billingSuite: Suite = {
  name: 'billing',
  title: 'Stripe events applied/s: billing worker (re-fetch + upsert) vs bare DB writes',
  async run(ctx: BenchContext) {
    const db = await suiteDatabase(ctx, 'billing');
    const prefix = suitePrefix(ctx);
    const plans = loadConfig({}, { services: [] }).BILLING_PLANS;
    const fake = await startFakeStripe({ prices: seedPricesFor(plans) });
    ctx.defer(() => fake.close());
    const config = loadConfig({
      NODE_ENV: 'development',
      SESSIONPIX_SERVICES: 'billing',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      OPS_PORT: '0',
      SHUTDOWN_GRACE_MS: '10000',
      ...fake.env(),
    });
    ctx.log('starting the billing service');
    const proc = await startProcess({ config, available: [billingService], handleSignals: false });
    ctx.defer(() => proc.close());
    const orm = proc.app.get<MikroORM>(MikroORM);
    const producer = proc.app.get(JobProducer);
    const api = proc.app.get(StripeApi);
    const checkout = proc.app.get(CheckoutService);
    const em = emForSystem(orm);

    ctx.log(`subscribing ${ORGS} orgs in the fake Stripe`);
    fake.setDelivery(false);
    const targets: Target[] = [];
    for (let i = 0; i < ORGS; i++) {
      const org = em.create(Organization, { name: `Bench ${i}` });
      await em.flush();
      const session = await checkout.checkout(org.id, null, 'studio');
      const { subscription } = await fake.completeCheckout(session.sessionId);
      targets.push({ orgId: org.id, customerId: subscription.customer as string, subscriptionId: subscription.id as string });
    }
    const records = new Map<string, Awaited<ReturnType<StripeApi['subscription']>>>();
    for (const t of targets) records.set(t.subscriptionId, await api.subscription(t.subscriptionId));

    let batch = 0;
    /** `count` ledger rows for the targets, round-robin; their ids. */
    const ledger = async (count: number): Promise<string[]> => {
      batch += 1;
      const ids: string[] = [];
      for (let start = 0; start < count; start += ADD_CHUNK) {
        const rows: unknown[] = [];
        const values: string[] = [];
        for (let i = start; i < Math.min(count, start + ADD_CHUNK); i++) {
          const t = targets[i % targets.length];
          const id = uuidv7();
          ids.push(id);
          values.push(`(?, now(), now(), ?, 'customer.subscription.updated', ?, 'subscription', ?, now(), 'replay', 'received', ?)`);
          rows.push(id, `evt_bench${batch}x${i}`, t.subscriptionId, t.customerId, 'b'.repeat(64));
        }
        await em.execute(
          `insert into billing_event (id, received_at, updated_at, stripe_event_id, type, object_id, object_type, stripe_customer_id,
             stripe_created_at, source, status, payload_sha256) values ${values.join(', ')}`,
          rows,
        );
      }
      return ids;
    };
    const outstanding = async (): Promise<number> => {
      const [row] = await em.execute<{ n: number }[]>(`select count(*)::int as n from billing_event where status in ('received', 'failed')`, [], 'all');
      return row.n;
    };

    /** Through the worker: enqueue (queue paused), resume, wait until every event is applied. */
    const viaWorker = async (count: number): Promise<number> => {
      const ids = await ledger(count);
      const queue = producer.queue('billing-events');
      await queue.pause();
      for (let i = 0; i < ids.length; i += ADD_CHUNK) {
        await queue.addBulk(
          ids.slice(i, i + ADD_CHUNK).map((ledgerId) => ({
            name: 'billing-events',
            data: { v: 1, ledgerId, run: 0 },
            opts: { jobId: `billing-events-${ledgerId}-0`, removeOnComplete: true },
          })),
        );
      }
      const ms = await timed(async () => {
        await queue.resume();
        while ((await outstanding()) > 0) await new Promise((r) => setTimeout(r, 50));
      });
      return count / (ms / 1000);
    };

    /** The same database work per event, the subscription already in memory. */
    const bare = async (count: number): Promise<number> => {
      const ids = await ledger(count);
      const ms = await timed(() =>
        withConcurrency(ids, CONCURRENCY, async (ledgerId, i) => {
          const t = targets[i % targets.length];
          await emForSystem(orm).transactional(async (tx) => {
            await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`billing:${t.customerId}`]);
            await tx.execute(`select status from billing_event where id = ? for update`, [ledgerId]);
            await billingStore.upsertSubscription(tx, t.orgId, records.get(t.subscriptionId)!, plans);
            await billingStore.recomputeAccess(tx, t.orgId, plans);
            await tx.execute(
              `update billing_event set status = 'applied', org_id = ?, attempts = attempts + 1, applied_at = now(), updated_at = now() where id = ?`,
              [t.orgId, ledgerId],
            );
          });
        }),
      );
      return count / (ms / 1000);
    };

    ctx.log('warming up both paths (500 events each)');
    await viaWorker(500);
    await bare(500);
    const samples = await interleaved(ctx, `${EVENTS} events`, () => viaWorker(EVENTS), () => bare(EVENTS), {
      warmup: 0,
      runs: Math.min(ctx.runs, 3),
    });
    ctx.record({
      metric: `apply ${EVENTS} ledgered events`,
      unit: 'events/s',
      better: 'higher',
      subject: {
        label: `billing worker ×${CONCURRENCY}: BullMQ job → lock → re-fetch from the fake Stripe → upsert → access → applied`,
        stats: summarize(samples.subject, 'higher'),
      },
      baseline: { label: `the same transactions without the re-fetch or the queue, ${CONCURRENCY} lanes`, stats: summarize(samples.baseline, 'higher') },
    });

    // For the reader: how fast the fake answers the re-fetch alone, at the same concurrency.
    const fetches = targets.map((t) => t.subscriptionId);
    const many = Array.from({ length: 2_000 }, (_, i) => fetches[i % fetches.length]);
    const fetchMs = await timed(() => withConcurrency(many, CONCURRENCY, async (id) => void (await api.subscription(id))));
    ctx.note(
      `billing: the fake Stripe answers ${(many.length / (fetchMs / 1000)).toFixed(0)} subscription re-fetches/s through stripe-node at concurrency ${CONCURRENCY} (HTTP on loopback). Not measured here: against api.stripe.com each re-fetch is a network round trip, so a worker applies at most about concurrency ÷ round-trip time events/s`,
    );
  },
};
