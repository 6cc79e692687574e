import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type BillingAccess,
  calendarMonthUtc,
  freePlan,
  hasPaidAccess,
  type PlanDefinition,
  planById,
} from '@sessionpix/contracts';

/**
 * Plan quotas: which plan an org is on now, the period its photo quota counts in, and the one
 * atomic statement that counts a photo against it. Ingest enforces it; the billing service
 * reports it. The billing worker keeps `billing_account` (access, plan, period) in step with
 * Stripe.
 */

export interface QuotaPeriod {
  plan: PlanDefinition;
  access: BillingAccess;
  start: Date;
  end: Date;
}

export type QuotaCharge =
  | { outcome: 'counted'; used: number; period: QuotaPeriod }
  | { outcome: 'already_counted'; used: number; period: QuotaPeriod }
  | { outcome: 'over_limit'; used: number; period: QuotaPeriod };

/**
 * The org's plan and quota period now: with paid access (full, or grace while past due) the paid
 * plan and the subscription's billing period; otherwise the free tier and the calendar month in
 * UTC. When Stripe's renewal has not reached us yet, the period rolls forward by its own length
 * (Stripe's periods follow one another without a gap).
 */
export async function currentQuotaPeriod(
  em: EntityManager,
  orgId: string,
  plans: readonly PlanDefinition[],
  now = new Date(),
): Promise<QuotaPeriod> {
  const rows = await em.execute<{ access: BillingAccess; plan_id: string | null; period_start: Date | null; period_end: Date | null }[]>(
    `select "access", "plan_id", "period_start", "period_end" from "billing_account" where "org_id" = ?`,
    [orgId],
    'all',
  );
  const account = rows[0];
  const paid = account && hasPaidAccess(account.access) && account.plan_id ? planById(plans, account.plan_id) : undefined;
  // Raw SQL returns timestamps as text.
  const periodStart = account?.period_start ? new Date(account.period_start) : null;
  const periodEnd = account?.period_end ? new Date(account.period_end) : null;
  if (paid && periodStart && periodEnd && periodEnd > periodStart) {
    let start = periodStart;
    let end = periodEnd;
    const length = end.getTime() - start.getTime();
    while (now >= end) {
      start = end;
      end = new Date(end.getTime() + length);
    }
    return { plan: paid, access: account.access, start, end };
  }
  const month = calendarMonthUtc(now);
  return { plan: freePlan(plans), access: account?.access ?? 'none', start: month.start, end: month.end };
}

/** Photos counted in the org's current period. */
export async function photosUsed(em: EntityManager, orgId: string, period: QuotaPeriod): Promise<number> {
  const rows = await em.execute<{ used: number }[]>(
    `select "used" from "plan_usage" where "org_id" = ? and "period_start" = ?`,
    [orgId, period.start],
    'all',
  );
  return Number(rows[0]?.used ?? 0);
}

/**
 * Counts one photo against the org's quota: one atomic statement that adds one only while the
 * count is under the plan's limit (`used = used + 1 where used < limit`), and only when this
 * photo was not counted before (its job may run again). A concurrent second run of the same
 * photo fails on the charge's primary key and rolls its own increment back.
 */
export async function chargePhoto(
  em: EntityManager,
  orgId: string,
  itemId: string,
  plans: readonly PlanDefinition[],
  now = new Date(),
): Promise<QuotaCharge> {
  const period = await currentQuotaPeriod(em, orgId, plans, now);
  await em.execute(
    `insert into "plan_usage" ("org_id", "period_start", "period_end", "plan_id", "used", "updated_at")
     values (?, ?, ?, ?, 0, ?) on conflict ("org_id", "period_start") do nothing`,
    [orgId, period.start, period.end, period.plan.id, now],
  );
  const [row] = await em.execute<{ bumped: number | null; already: boolean; before: number | null }[]>(
    `with "bumped" as (
       update "plan_usage" set "used" = "used" + 1, "plan_id" = ?, "updated_at" = ?
        where "org_id" = ? and "period_start" = ? and "used" < ?
          and not exists (select 1 from "plan_usage_charge" where "item_id" = ?)
       returning "used"
     ), "charged" as (
       insert into "plan_usage_charge" ("item_id", "org_id", "period_start", "charged_at")
       select ?, ?, ?, ? from "bumped"
       returning 1
     )
     select (select "used" from "bumped") as "bumped",
            exists (select 1 from "plan_usage_charge" where "item_id" = ?) as "already",
            (select "used" from "plan_usage" where "org_id" = ? and "period_start" = ?) as "before",
            (select count(*) from "charged") as "charged"`,
    [
      period.plan.id,
      now,
      orgId,
      period.start,
      period.plan.photosPerPeriod,
      itemId,
      itemId,
      orgId,
      period.start,
      now,
      itemId,
      orgId,
      period.start,
    ],
    'all',
  );
  if (row.bumped !== null && row.bumped !== undefined) return { outcome: 'counted', used: Number(row.bumped), period };
  if (row.already) return { outcome: 'already_counted', used: Number(row.before ?? 0), period };
  return { outcome: 'over_limit', used: Number(row.before ?? 0), period };
}
