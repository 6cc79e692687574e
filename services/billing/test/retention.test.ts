import { randomUUID } from 'node:crypto';
import { purgeBillingRecords } from '@sessionpix/billing';
import { emForSystem, MikroORM, ormConfig, uuidv7 } from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';
import { Client } from 'pg';

const YEAR_MS = 365.25 * 24 * 3600_000;

/** P14: billing records are kept seven years, also after the org is deleted, then purged and reported. */
describe('billing: record retention', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase('billretention');
    orm = await MikroORM.init(ormConfig({ databaseUrl: db.url, poolMax: 2 }));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await orm?.close(true);
    await db?.drop();
  });

  const sql = async (text: string, params: unknown[] = []) => (await pg.query(text, params)).rows as Record<string, unknown>[];
  const ago = (years: number) => new Date(Date.now() - years * YEAR_MS);

  async function org(deletedAt: Date | null = null): Promise<string> {
    const id = uuidv7();
    await sql(`insert into organization (id, created_at, updated_at, name, deleted_at) values ($1, now(), now(), 'Retained', $2)`, [id, deletedAt]);
    return id;
  }

  async function records(orgId: string, at: Date, tag: string, subscriptionStatus = 'canceled'): Promise<void> {
    const customer = `cus_${tag}`;
    await sql(
      `insert into billing_account (id, created_at, updated_at, org_id, stripe_customer_id, access)
       values ($1, $2, $2, $3, $4, 'revoked') on conflict (org_id) do nothing`,
      [uuidv7(), at, orgId, customer],
    );
    await sql(
      `insert into billing_subscription (id, created_at, updated_at, org_id, stripe_subscription_id, stripe_customer_id, status,
         cancel_at_period_end, canceled_at, ended_at, stripe_created_at)
       values ($1, $2, $2, $3, $4, $5, $6, false, $7, $7, $2)`,
      [uuidv7(), at, orgId, `sub_${tag}`, customer, subscriptionStatus, subscriptionStatus === 'canceled' ? at : null],
    );
    await sql(
      `insert into billing_invoice (id, created_at, updated_at, org_id, stripe_invoice_id, stripe_customer_id, status, currency,
         amount_due, amount_paid, amount_remaining, total, stripe_created_at)
       values ($1, $2, $2, $3, $4, $5, 'paid', 'usd', 2900, 2900, 0, 2900, $2)`,
      [uuidv7(), at, orgId, `in_${tag}`, customer],
    );
    await sql(
      `insert into billing_refund (id, created_at, updated_at, org_id, stripe_refund_id, amount, currency, status, stripe_created_at)
       values ($1, $2, $2, $3, $4, 100, 'usd', 'succeeded', $2)`,
      [uuidv7(), at, orgId, `re_${tag}`],
    );
    await sql(
      `insert into billing_dispute (id, created_at, updated_at, org_id, stripe_dispute_id, amount, currency, status, stripe_created_at)
       values ($1, $2, $2, $3, $4, 2900, 'usd', 'lost', $2)`,
      [uuidv7(), at, orgId, `dp_${tag}`],
    );
    await sql(
      `insert into billing_event (id, received_at, updated_at, stripe_event_id, type, stripe_created_at, source, status, payload_sha256, org_id)
       values ($1, $2, $2, $3, 'invoice.paid', $2, 'webhook', 'applied', $4, $5)`,
      [uuidv7(), at, `evt_${tag}`, 'a'.repeat(64), orgId],
    );
    await sql(
      `insert into billing_drift (id, created_at, updated_at, org_id, entity, entity_id, field, action, source)
       values ($1, $2, $2, $3, 'invoice', $4, 'status', 'healed', 'sweep')`,
      [uuidv7(), at, orgId, `in_${tag}`],
    );
  }

  async function count(table: string, orgId: string): Promise<number> {
    const [row] = await sql(`select count(*)::int as n from ${table} where org_id = $1`, [orgId]);
    return row.n as number;
  }

  it('P14: billing records outlive the org (no cascade), are kept seven years, then purged with a report', async () => {
    const orgId = await org();
    const tag = randomUUID().slice(0, 8);
    await records(orgId, ago(8), `old${tag}`);
    await records(orgId, ago(6), `recent${tag}`);
    await sql(`insert into plan_usage (org_id, period_start, period_end, plan_id, used, updated_at) values ($1, $2, $3, 'free', 7, now())`, [
      orgId,
      ago(8),
      new Date(ago(8).getTime() + 30 * 24 * 3600_000),
    ]);

    // The org goes away entirely; its billing records stay.
    await sql(`delete from organization where id = $1`, [orgId]);
    for (const table of ['billing_account', 'billing_subscription', 'billing_invoice', 'billing_refund', 'billing_dispute', 'billing_event', 'billing_drift']) {
      expect(await count(table, orgId), table).toBeGreaterThan(0);
    }

    const report = await purgeBillingRecords(emForSystem(orm));
    expect(report.removed).toMatchObject({
      billing_event: 1,
      billing_invoice: 1,
      billing_refund: 1,
      billing_dispute: 1,
      billing_drift: 1,
      billing_subscription: 1,
      plan_usage: 1,
      // The account stays while records of it remain.
      billing_account: 0,
    });
    for (const table of ['billing_subscription', 'billing_invoice', 'billing_refund', 'billing_dispute', 'billing_event', 'billing_drift']) {
      expect(await count(table, orgId), table).toBe(1);
    }
    expect(await sql(`select stripe_invoice_id from billing_invoice where org_id = $1`, [orgId])).toEqual([{ stripe_invoice_id: `in_recent${tag}` }]);
    // What was removed is reported, per table.
    const runs = await sql(`select task, rows_removed from retention_run where task like 'purge-billing-records:%' order by task`);
    expect(runs).toContainEqual({ task: 'purge-billing-records:billing_invoice', rows_removed: 1 });
    expect(new Date(report.cutoff).getTime()).toBeLessThan(ago(6.99).getTime());

    // Seven years after the last record, nothing of the org is left.
    const later = new Date(Date.now() + 1.5 * YEAR_MS);
    const again = await purgeBillingRecords(emForSystem(orm), later);
    expect(again.removed.billing_account).toBe(1);
    for (const table of ['billing_account', 'billing_subscription', 'billing_invoice', 'billing_event']) expect(await count(table, orgId), table).toBe(0);
  });

  it('P14: a live subscription and the account of an org that still exists are never purged', async () => {
    const orgId = await org();
    await records(orgId, ago(9), `live${randomUUID().slice(0, 8)}`, 'active');
    await purgeBillingRecords(emForSystem(orm));
    expect(await count('billing_subscription', orgId)).toBe(1);
    expect(await count('billing_account', orgId)).toBe(1);
    expect(await count('billing_invoice', orgId)).toBe(0);
  });
});
