import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BILLING_REPLAY_CURSOR_ALARM_DAYS,
  type BillingEventStatus,
  jobIdFor,
  STRIPE_EVENT_RETENTION_DAYS,
} from '@sessionpix/contracts';
import { emForSystem, ledgerMetaOf, MikroORM, recordAudit, recordStripeEvent, uuidv7 } from '@sessionpix/db';
import { JobProducer, OutboxDispatcher } from '@sessionpix/queue';
import { EventApplier } from './apply';
import { billingDriftFound, billingReplayCursorAge } from './metrics';
import { accountByOrg, recomputeAccess } from './store';
import { StripeApi } from './stripe/stripe-api';
import { type FieldDiff, StripeSync } from './sync';

const DAY_MS = 86_400_000;
/** Each replay lists this much before its cursor again: events Stripe created while the last one listed. */
export const REPLAY_OVERLAP_MS = 10 * 60_000;
/** A ledger row this long without a final status and without a live job is enqueued again. */
const STUCK_AFTER_MS = 2 * 60_000;
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
/**
 * An event still failing after this many attempts (about a day of replays) stays `failed` for a
 * person to look at (the report lists it; `billing replay <event id>` retries it on demand).
 */
const MAX_ATTEMPTS = 150;
/** How many of a customer's newest invoices the sweep compares. */
const SWEEP_INVOICES = 10;

export interface ReplayReport {
  listed: number;
  inserted: number;
  requeued: number;
  /** Events from this time on have been listed. */
  cursor: string;
  cursorAgeSeconds: number;
  alarm: boolean;
}

export interface SweepReport {
  orgs: number;
  drift: number;
  failed: number;
}

export interface DriftItem extends FieldDiff {
  orgId: string;
  action: 'healed' | 'flagged';
}

/**
 * Reconciliation with Stripe: the replay lists Stripe's events since the cursor (every event the
 * webhook missed reaches the ledger within ten minutes, while Stripe still keeps it), the sweep
 * compares every org with Stripe's current objects and heals what differs (a `billing_drift` row
 * per field), and operators replay one event or resync one org on demand.
 */
@Injectable()
export class Reconciler {
  private readonly log = new Logger('Reconciler');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly api: StripeApi,
    private readonly sync: StripeSync,
    private readonly producer: JobProducer,
    private readonly dispatcher: OutboxDispatcher,
    private readonly applier: EventApplier,
  ) {}

  async cursor(): Promise<Date | null> {
    const rows = await emForSystem(this.orm).execute<{ position: string }[]>(
      `select "position" from "billing_cursor" where "name" = 'events'`,
      [],
      'all',
    );
    return rows[0] ? new Date(rows[0].position) : null;
  }

  async replay(now = new Date()): Promise<ReplayReport> {
    const em = emForSystem(this.orm);
    // First run: everything Stripe still keeps (no alarm: nothing has been missed yet).
    const stored = await this.cursor();
    const position = stored ?? new Date(now.getTime() - (STRIPE_EVENT_RETENTION_DAYS - 1) * DAY_MS);
    const age = stored ? (now.getTime() - stored.getTime()) / 1000 : 0;
    billingReplayCursorAge.set(age);
    const alarm = age > BILLING_REPLAY_CURSOR_ALARM_DAYS * 86_400;
    if (alarm) {
      this.log.error(
        `the Stripe event replay cursor is ${Math.floor(age / 86_400)} days old: Stripe keeps events ${STRIPE_EVENT_RETENTION_DAYS} days, so events are about to be lost for good; the nightly sweep heals state, but look at why replays fail`,
      );
    }
    const since = new Date(position.getTime() - REPLAY_OVERLAP_MS);
    let listed = 0;
    const fresh: { id: string; run: number }[] = [];
    for await (const { event, payload } of this.api.events(since)) {
      listed += 1;
      const entry = await recordStripeEvent(em, ledgerMetaOf(event, payload), 'replay');
      if (entry.inserted) fresh.push({ id: entry.id, run: entry.run });
    }
    // Stripe lists newest first; hand them to the workers oldest first (order is not needed for
    // correctness — each apply re-fetches — but it keeps e-mails in a sensible order).
    for (const entry of fresh.reverse()) {
      await this.producer.enqueue('billing-events', { v: 1, ledgerId: entry.id, run: entry.run });
    }
    const inserted = fresh.length;
    // Everything Stripe created before this run started has now been listed.
    await em.execute(
      `insert into "billing_cursor" ("name", "updated_at", "position", "last_run_at", "last_listed", "last_inserted")
       values ('events', ?, ?, ?, ?, ?)
       on conflict ("name") do update set "updated_at" = excluded."updated_at", "position" = excluded."position",
         "last_run_at" = excluded."last_run_at", "last_listed" = excluded."last_listed", "last_inserted" = excluded."last_inserted"`,
      [new Date(), now, new Date(), listed, inserted],
    );
    billingReplayCursorAge.set(0);
    const requeued = await this.requeueStuck();
    if (inserted > 0) this.log.warn(`the replay found ${inserted} Stripe event(s) the webhook had not delivered`);
    return { listed, inserted, requeued, cursor: now.toISOString(), cursorAgeSeconds: Math.round(age), alarm };
  }

  /** Received or failed events whose job is gone (attempts used up, Redis flushed) are enqueued again. */
  async requeueStuck(): Promise<number> {
    const em = emForSystem(this.orm);
    const rows = await em.execute<{ id: string; run: number; status: BillingEventStatus }[]>(
      `select "id", "run", "status" from "billing_event"
        where "status" in ('received', 'failed') and "updated_at" < ? and "attempts" < ${MAX_ATTEMPTS}
        order by "received_at" limit 500`,
      [new Date(Date.now() - STUCK_AFTER_MS)],
      'all',
    );
    let requeued = 0;
    for (const row of rows) {
      const job = await this.producer.queue('billing-events').getJob(jobIdFor('billing-events', { v: 1, ledgerId: row.id, run: row.run }));
      if (job && LIVE_STATES.has(await job.getState())) continue;
      const claimed = await em.execute<{ run: number }[]>(
        `update "billing_event" set "run" = "run" + 1, "updated_at" = ? where "id" = ? and "run" = ? and "status" in ('received', 'failed')
         returning "run"`,
        [new Date(), row.id, row.run],
        'all',
      );
      if (claimed.length === 0) continue;
      await this.producer.enqueue('billing-events', { v: 1, ledgerId: row.id, run: claimed[0].run });
      requeued += 1;
    }
    return requeued;
  }

  /** An operator re-fetches one event from Stripe and applies it again, now. */
  async replayEvent(eventId: string, actor: string): Promise<{ ledgerId: string; status: BillingEventStatus; lastError: string | null }> {
    const em = emForSystem(this.orm);
    const { event, payload } = await this.api.event(eventId);
    const entry = await recordStripeEvent(em, ledgerMetaOf(event, payload), 'manual');
    await em.execute(`update "billing_event" set "status" = 'received', "run" = "run" + 1, "updated_at" = ? where "id" = ?`, [
      new Date(),
      entry.id,
    ]);
    try {
      await this.applier.apply(entry.id);
    } catch {
      // Recorded on the ledger row (failed, with the error); the answer says so.
    }
    const [row] = await em.execute<{ status: BillingEventStatus; last_error: string | null; org_id: string | null }[]>(
      `select "status", "last_error", "org_id" from "billing_event" where "id" = ?`,
      [entry.id],
      'all',
    );
    const audit = emForSystem(this.orm);
    recordAudit(audit, {
      orgId: row.org_id,
      actorType: 'operator',
      action: 'billing.event_replayed',
      targetType: 'stripe_event',
      targetId: eventId,
      details: { via: actor, status: row.status },
    });
    await audit.flush();
    return { ledgerId: entry.id, status: row.status, lastError: row.last_error };
  }

  /** The nightly sweep: every org with a Stripe customer, one at a time. */
  async sweep(): Promise<SweepReport> {
    const em = emForSystem(this.orm);
    let after = '00000000-0000-0000-0000-000000000000';
    const report: SweepReport = { orgs: 0, drift: 0, failed: 0 };
    for (;;) {
      const accounts = await em.execute<{ org_id: string }[]>(
        `select "org_id" from "billing_account" where "stripe_customer_id" is not null and "org_id" > ? order by "org_id" limit 200`,
        [after],
        'all',
      );
      for (const { org_id } of accounts) {
        try {
          report.drift += (await this.reconcileOrg(org_id, 'sweep')).length;
        } catch (err) {
          report.failed += 1;
          this.log.warn(`sweeping org ${org_id} failed: ${String(err)}`);
        }
        report.orgs += 1;
      }
      if (accounts.length < 200) break;
      after = accounts[accounts.length - 1].org_id;
    }
    if (report.drift > 0) this.log.warn(`the sweep healed ${report.drift} difference(s) from Stripe`);
    return report;
  }

  /** An operator compares one org with Stripe and heals it. */
  async resync(orgId: string, actor: string): Promise<DriftItem[]> {
    const drift = await this.reconcileOrg(orgId, 'resync');
    const em = emForSystem(this.orm);
    recordAudit(em, {
      orgId,
      actorType: 'operator',
      action: 'billing.org_resynced',
      targetType: 'organization',
      targetId: orgId,
      details: { via: actor, differences: drift.length },
    });
    await em.flush();
    return drift;
  }

  /**
   * Compares the org's customer (e-mail, default card), subscriptions and latest invoices with
   * Stripe's, writes Stripe's values, and records each difference as drift — all in one
   * transaction under the customer's lock.
   */
  async reconcileOrg(orgId: string, source: 'sweep' | 'resync'): Promise<DriftItem[]> {
    const em = emForSystem(this.orm);
    const { items, outboxIds } = await em.transactional(async (tx) => {
      const account = await accountByOrg(tx, orgId);
      if (!account?.stripe_customer_id) return { items: [] as DriftItem[], outboxIds: [] as string[] };
      const customerId = account.stripe_customer_id;
      await this.sync.lock(tx, customerId);
      const diffs: FieldDiff[] = [];
      const flagged: FieldDiff[] = [];
      const outbox: string[] = [];
      diffs.push(...(await this.sync.syncCustomer(tx, orgId, await this.api.customer(customerId))).diffs);
      const subs = await this.api.subscriptionsOf(customerId);
      for (const sub of subs) diffs.push(...(await this.sync.syncSubscription(tx, orgId, sub)).diffs);
      const known = new Set(subs.map((s) => s.id));
      const local = await tx.execute<{ stripe_subscription_id: string; status: string }[]>(
        `select "stripe_subscription_id", "status" from "billing_subscription" where "stripe_customer_id" = ?`,
        [customerId],
        'all',
      );
      for (const row of local.filter((r) => !known.has(r.stripe_subscription_id))) {
        flagged.push({ entity: 'subscription', entityId: row.stripe_subscription_id, field: 'exists', local: row.status, stripe: null });
      }
      for (const invoice of await this.api.latestInvoicesOf(customerId, SWEEP_INVOICES)) {
        const result = await this.sync.syncInvoice(tx, orgId, invoice);
        diffs.push(...result.diffs);
        outbox.push(...result.outboxIds);
      }
      await recomputeAccess(tx, orgId, this.sync.plans);
      const now = new Date();
      const drift: DriftItem[] = [
        ...diffs.map((d) => ({ ...d, orgId, action: 'healed' as const })),
        ...flagged.map((d) => ({ ...d, orgId, action: 'flagged' as const })),
      ];
      for (const d of drift) {
        await tx.execute(
          `insert into "billing_drift" ("id", "created_at", "updated_at", "org_id", "stripe_customer_id", "entity", "entity_id",
             "field", "local_value", "stripe_value", "action", "source", "resolved_at")
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [uuidv7(), now, now, orgId, customerId, d.entity, d.entityId, d.field, d.local, d.stripe, d.action, source, d.action === 'healed' ? now : null],
        );
        billingDriftFound.inc({ entity: d.entity, action: d.action });
      }
      return { items: drift, outboxIds: outbox };
    });
    await this.dispatcher.dispatch(outboxIds);
    return items;
  }
}
