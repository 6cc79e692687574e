import { randomBytes } from 'node:crypto';
import type { AppConfig } from '@sessionpix/config';
import type { BillingEventStatus } from '@sessionpix/contracts';
import { billingService, CheckoutService, EventApplier, Reconciler, ReportService } from '@sessionpix/billing';
import { emForSystem, Membership, MikroORM, Organization, User } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import type { RunningProcess } from '@sessionpix/runtime';
import {
  createTestDatabase,
  eventually,
  type FakeStripe,
  seedPricesFor,
  startFakeStripe,
  startTestProcess,
  type TestDatabase,
  testConfig,
  uniquePrefix,
} from '@sessionpix/testing';
import { Client } from 'pg';
import request from 'supertest';

/**
 * Billing under test: a fresh database, the fake Stripe, and two processes on one queue prefix —
 * the gateway (receives Stripe's webhooks, answers owners) and the billing service (applies
 * events, reconciles, holds the Stripe key) — as they run in production, minus the network.
 */
export interface BillingStack {
  db: TestDatabase;
  fake: FakeStripe;
  secret: string;
  /** The gateway accepts this one too (a rotation in progress). */
  nextSecret: string;
  prefix: string;
  gatewayConfig: AppConfig;
  billingConfig: AppConfig;
  /** The environment the billing process was started with (to start another like it). */
  billingConfigEnv: Record<string, string>;
  gateway: RunningProcess;
  billing: RunningProcess;
  orm: MikroORM;
  http: ReturnType<typeof request>;
  webhookUrl: string;
  checkout: CheckoutService;
  applier: EventApplier;
  reconciler: Reconciler;
  reports: ReportService;
  sql<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  newOrg(name?: string): Promise<{ orgId: string; ownerId: string; ownerEmail: string }>;
  /** Checkout through the billing service, then the customer pays in the fake's Checkout. */
  subscribe(orgId: string, ownerId: string, plan?: string, opts?: Parameters<FakeStripe['completeCheckout']>[1]): Promise<{ subscriptionId: string; customerId: string; chargeId: string | null; invoiceId: string }>;
  /** Every ledgered event has reached a final status (applied, ignored, unmatched). */
  settled(timeoutMs?: number): Promise<void>;
  ledger(eventId: string): Promise<{ status: BillingEventStatus; attempts: number; last_error: string | null; org_id: string | null } | undefined>;
  account(orgId: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export async function startBillingStack(label: string, env: Record<string, string> = {}): Promise<BillingStack> {
  const db = await createTestDatabase(label);
  const secret = `whsec_${randomBytes(18).toString('base64url')}`;
  const nextSecret = `whsec_${randomBytes(18).toString('base64url')}`;
  const prefix = uniquePrefix();
  const fake = await startFakeStripe({ prices: seedPricesFor(testConfig({}).BILLING_PLANS) });
  const common = { DATABASE_URL: db.url, QUEUE_PREFIX: prefix, ...fake.env(), ...env };
  const billingConfig = testConfig({ ...common, SESSIONPIX_SERVICES: 'billing' });
  const gatewayConfig = testConfig({ ...common, SESSIONPIX_SERVICES: 'gateway', STRIPE_WEBHOOK_SECRETS: `${secret},${nextSecret}` });
  const billing = await startTestProcess(billingConfig, [billingService]);
  const gateway = await startTestProcess(gatewayConfig, [gatewayService]);
  const webhookUrl = `${gateway.httpUrl!}/v1/billing/webhook`;
  fake.setWebhook({ url: webhookUrl, secret });
  const orm = billing.app.get<MikroORM>(MikroORM);
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const sql = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await pg.query(text, params)).rows as T[];

  const stack: BillingStack = {
    db,
    fake,
    secret,
    nextSecret,
    prefix,
    gatewayConfig,
    billingConfig,
    billingConfigEnv: { ...common, QUEUE_PREFIX: prefix },
    gateway,
    billing,
    orm,
    http: request(gateway.httpUrl!),
    webhookUrl,
    checkout: billing.app.get(CheckoutService),
    applier: billing.app.get(EventApplier),
    reconciler: billing.app.get(Reconciler),
    reports: billing.app.get(ReportService),
    sql,
    async newOrg(name = `Studio ${randomBytes(3).toString('hex')}`) {
      const em = emForSystem(orm);
      const org = em.create(Organization, { name });
      const ownerEmail = `owner-${randomBytes(4).toString('hex')}@example.com`;
      const user = em.create(User, { email: ownerEmail, name: 'Olive Owner' });
      em.create(Membership, { org, user, role: 'owner' });
      await em.flush();
      return { orgId: org.id, ownerId: user.id, ownerEmail };
    },
    async subscribe(orgId, ownerId, plan = 'studio', opts = {}) {
      const session = await stack.checkout.checkout(orgId, ownerId, plan);
      const { subscription, invoice, charge } = await fake.completeCheckout(session.sessionId, opts);
      await stack.settled();
      return { subscriptionId: subscription.id, customerId: subscription.customer, chargeId: charge?.id ?? null, invoiceId: invoice.id };
    },
    async settled(timeoutMs = 20_000) {
      await eventually(
        async () => {
          const [row] = await sql<{ n: number }>(`select count(*)::int as n from billing_event where status in ('received', 'failed')`);
          return row.n === 0 ? true : undefined;
        },
        timeoutMs,
        'every ledgered Stripe event to be applied',
      );
    },
    async ledger(eventId) {
      const [row] = await sql<{ status: BillingEventStatus; attempts: number; last_error: string | null; org_id: string | null }>(
        `select status, attempts, last_error, org_id from billing_event where stripe_event_id = $1`,
        [eventId],
      );
      return row;
    },
    async account(orgId) {
      const [row] = await sql(`select * from billing_account where org_id = $1`, [orgId]);
      return row;
    },
    async close() {
      await gateway?.close().catch(() => undefined);
      await billing?.close().catch(() => undefined);
      await fake?.close();
      await pg.end();
      await db?.drop();
    },
  };
  return stack;
}

/** Every row of every billing table and the outbox, as text: for "none of it is stored" checks. */
export async function everythingStored(stack: BillingStack): Promise<string> {
  const tables = [
    'billing_account',
    'billing_subscription',
    'billing_invoice',
    'billing_refund',
    'billing_dispute',
    'billing_event',
    'billing_drift',
    'billing_cursor',
    'plan_usage',
  ];
  const dump: unknown[] = [];
  for (const table of tables) dump.push(table, await stack.sql(`select * from ${table}`));
  return JSON.stringify(dump);
}
