import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@sessionpix/testing';
import { type BillingStack, startBillingStack } from './support';

const run = promisify(execFile);
const BILLING_CLI = join(__dirname, '..', '..', '..', 'apps', 'sessionpix', 'dist', 'billing-cli.js');
const HOUR = 3600;
const DAY = 24 * HOUR;
const ADMIN_TOKEN = 'billing-team-token-for-tests-0123456789abcdef';

/**
 * Reconciliation: the replay lists what the webhook missed (while Stripe keeps it), the nightly
 * sweep heals what even the replay cannot see (events older than 30 days), and the billing team
 * reads it all in one report — from the CLI or the admin API — with every look audited.
 */
describe('billing: reconciliation with Stripe', () => {
  let stack: BillingStack;

  beforeAll(async () => {
    stack = await startBillingStack('billrecon', { BILLING_ADMIN_TOKEN: ADMIN_TOKEN });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function setCursor(at: Date): Promise<void> {
    await stack.sql(
      `insert into billing_cursor (name, updated_at, position) values ('events', now(), $1)
       on conflict (name) do update set position = excluded.position`,
      [at],
    );
  }

  async function cli(...args: string[]): Promise<{ stdout: string; code: number }> {
    try {
      const { stdout } = await run(process.execPath, [BILLING_CLI, ...args], {
        env: { ...process.env, REDIS_URL: stack.billingConfig.REDIS_URL, QUEUE_PREFIX: stack.prefix, DATABASE_URL: stack.db.url, NODE_ENV: 'test' },
      });
      return { stdout, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: `${e.stdout}${e.stderr}`, code: e.code };
    }
  }

  it('after a 6-hour webhook outage with changes, payments and a cancellation, the replay makes local state equal Stripe; the drift report is empty', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const session = await stack.checkout.checkout(orgId, ownerId, 'studio');
    const { subscription } = await stack.fake.at(-7 * HOUR, () => stack.fake.completeCheckout(session.sessionId));
    await stack.settled();
    // The last replay before the outage.
    await setCursor(new Date(Date.now() - 6.5 * HOUR * 1000));

    stack.fake.setDelivery(false);
    const sub = subscription.id as string;
    const outage = stack.fake.events.length;
    await stack.fake.at(-6 * HOUR, () => stack.fake.changePlan(sub, 'sessionpix_facility_monthly'));
    const paid = await stack.fake.at(-5 * HOUR, () => stack.fake.renew(sub));
    const declined = await stack.fake.at(-4 * HOUR, () => stack.fake.renew(sub, { fail: true }));
    await stack.fake.at(-3 * HOUR, () => stack.fake.retryInvoice(declined.invoice.id as string, { succeed: true }));
    await stack.fake.at(-2 * HOUR, () => stack.fake.refund(paid.charge!.id as string, { amount: 500 }));
    await stack.fake.at(-1 * HOUR, () => stack.fake.cancel(sub));
    stack.fake.setDelivery(true);
    const missed = stack.fake.events.slice(outage).map((e) => e.id as string);
    expect(missed.length).toBeGreaterThan(10);
    for (const id of missed) expect(await stack.ledger(id)).toBeUndefined();

    const replay = await stack.reconciler.replay();
    expect(replay.inserted).toBe(missed.length);
    expect(replay.alarm).toBe(false);
    await stack.settled(30_000);
    for (const id of missed) expect((await stack.ledger(id))?.status, id).toMatch(/^(applied|ignored)$/);
    // A second replay finds nothing new (the ledger dedupes the overlap).
    expect((await stack.reconciler.replay()).inserted).toBe(0);

    // Local state equals Stripe's.
    const [row] = await stack.sql(`select status, plan_id from billing_subscription where stripe_subscription_id = $1`, [sub]);
    expect(row).toEqual({ status: 'canceled', plan_id: 'facility' });
    expect(await stack.account(orgId)).toMatchObject({ access: 'revoked' });
    for (const invoice of [paid.invoice, declined.invoice]) {
      const [local] = await stack.sql(`select status, amount_paid from billing_invoice where stripe_invoice_id = $1`, [invoice.id]);
      expect(local).toEqual({ status: 'paid', amount_paid: String(stack.fake.invoices.get(invoice.id as string)!.amount_paid) });
    }
    const drift = await stack.reconciler.resync(orgId, 'test');
    expect(drift).toEqual([]);
    const report = await stack.reports.build(new Date(Date.now() - 8 * HOUR * 1000), new Date(Date.now() + 60_000), 'test');
    expect(report.openDrift).toEqual([]);
    expect(report.driftInPeriod).toEqual([]);
    expect(report.events.missingHere).toEqual([]);
    expect(report.invoicesPaidInStripeNotHere).toEqual([]);
    expect(report.refunds.filter((r) => r.orgId === orgId)).toEqual([expect.objectContaining({ matched: true, amount: 500 })]);
  });

  it('an event older than 30 days that never arrived: the replay cannot see it, the sweep heals it, the report lists it', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const session = await stack.checkout.checkout(orgId, ownerId, 'studio');
    const { subscription } = await stack.fake.at(-40 * DAY, () => stack.fake.completeCheckout(session.sessionId));
    await stack.settled();
    stack.fake.setDelivery(false);
    const cancel = await stack.fake.at(-31 * DAY, () => stack.fake.cancel(subscription.id as string)).then(() => stack.fake.lastEvent());
    stack.fake.setDelivery(true);
    await setCursor(new Date(Date.now() - 60_000));
    await stack.reconciler.replay();
    await stack.settled();
    expect(await stack.ledger(cancel.id as string)).toBeUndefined();
    expect(await stack.account(orgId)).toMatchObject({ access: 'full' });

    const swept = await stack.reconciler.sweep();
    expect(swept.failed).toBe(0);
    expect(swept.drift).toBeGreaterThan(0);
    expect(await stack.account(orgId)).toMatchObject({ access: 'revoked', plan_id: null });
    const drift = await stack.sql(`select field, local_value, stripe_value, action from billing_drift where org_id = $1 and entity = 'subscription'`, [orgId]);
    expect(drift).toContainEqual({ field: 'status', local_value: 'active', stripe_value: 'canceled', action: 'healed' });

    const report = await stack.reports.build(new Date(Date.now() - 3600_000), new Date(Date.now() + 60_000), 'test');
    expect(report.driftInPeriod).toContainEqual(
      expect.objectContaining({ orgId, entity: 'subscription', entityId: subscription.id, field: 'status', local: 'active', stripe: 'canceled', action: 'healed' }),
    );
    // Healed drift is not open; a second sweep finds nothing.
    expect(report.openDrift.filter((d) => d.orgId === orgId)).toEqual([]);
    expect((await stack.reconciler.resync(orgId, 'test')).length).toBe(0);
  });

  it('raises the alarm when the replay cursor is older than 25 days', async () => {
    await setCursor(new Date(Date.now() - 26 * DAY * 1000));
    const replay = await stack.reconciler.replay();
    expect(replay.alarm).toBe(true);
    expect(replay.cursorAgeSeconds).toBeGreaterThan(25 * DAY);
    expect((await stack.reconciler.replay()).alarm).toBe(false);
  });

  it('the billing CLI prints the report as a table and as CSV, replays one event, resyncs one org — each audited', async () => {
    const { orgId, ownerId } = await stack.newOrg();
    const { chargeId } = await stack.subscribe(orgId, ownerId, 'studio');
    const dispute = await stack.fake.dispute(chargeId!);
    await stack.fake.closeDispute(dispute.id as string, 'lost');
    await stack.settled();
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();

    const table = await cli('report', '--from', from, '--to', to);
    expect(table.code).toBe(0);
    for (const heading of ['Events:', 'Failed events', 'Ignored events', 'Events for unknown orgs', 'Open drift', 'Invoices paid in Stripe but not here', 'Refunds', 'Disputes', 'Totals per currency']) {
      expect(table.stdout).toContain(heading);
    }
    expect(table.stdout).toMatch(/USD\s+\d+\s+[\d.]+ USD/);
    expect(table.stdout).toContain(dispute.id);

    const csv = await cli('report', '--from', from, '--to', to, '--csv');
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('section,id,type,status,currency,amount_minor,detail');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^dispute,${dispute.id as string},matched,lost,usd,2900,in_`)));
    const net = lines.find((l) => l.startsWith('total,net,,,usd,'));
    const paid = Number(lines.find((l) => l.startsWith('total,invoices_paid,,,usd,'))!.split(',')[5]);
    const lost = Number(lines.find((l) => l.startsWith('total,disputes_lost,,,usd,'))!.split(',')[5]);
    const refunded = Number(lines.find((l) => l.startsWith('total,refunded,,,usd,'))!.split(',')[5]);
    expect(Number(net!.split(',')[5])).toBe(paid - refunded - lost);

    const event = stack.fake.lastEvent('charge.dispute.closed');
    const replayed = await cli('replay', event.id as string);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ eventId: event.id, status: 'applied', lastError: null });
    const resynced = await cli('resync', orgId);
    expect(JSON.parse(resynced.stdout)).toEqual({ orgId, drift: [] });
    expect((await cli('replay', 'not-an-event')).code).toBe(2);

    const audit = await stack.sql<{ action: string; actor_type: string }>(
      `select action, actor_type from audit_log where action like 'billing.%' order by created_at`,
    );
    for (const action of ['billing.report_viewed', 'billing.event_replayed', 'billing.org_resynced']) {
      expect(audit).toContainEqual({ action, actor_type: 'operator' });
    }
  });

  it('the admin API serves the report to the billing team only, as JSON or CSV', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const path = `/v1/admin/billing/report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    await stack.http.get(path).expect(401);
    await stack.http.get(path).set('authorization', 'Bearer not-the-token').expect(403);
    const json = await stack.http.get(path).set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(json.body).toMatchObject({ from, to, events: expect.objectContaining({ receivedHere: expect.any(Number) }) });
    const csv = await stack.http.get(`${path}&format=csv`).set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.split('\n')[0]).toBe('section,id,type,status,currency,amount_minor,detail');
    await stack.http.get(`/v1/admin/billing/report?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`).set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(400);
    await eventually(async () => {
      const rows = await stack.sql(`select details from audit_log where action = 'billing.report_viewed' and details->>'via' like 'admin API%'`);
      return rows.length >= 2 ? true : undefined;
    });
  });
});
