import { BILLING_RECORD_RETENTION_YEARS } from '@sessionpix/contracts';
import { type EntityManager, uuidv7 } from '@sessionpix/db';

/**
 * P14: billing records are kept seven years — also after the org is deleted, which is why no
 * billing table has a foreign key to `organization` — and then removed by this job, which
 * records what it removed per table in `retention_run` (task `purge-billing-records:<table>`).
 */

const BATCH = 5_000;

interface Rule {
  table: string;
  /** Rows matching this (with the cutoff bound to every `?`) are past their retention. */
  where: string;
}

const RULES: readonly Rule[] = [
  { table: 'billing_event', where: `"received_at" < ?` },
  { table: 'billing_invoice', where: `"stripe_created_at" < ?` },
  { table: 'billing_refund', where: `"stripe_created_at" < ?` },
  { table: 'billing_dispute', where: `"stripe_created_at" < ?` },
  { table: 'billing_drift', where: `"created_at" < ?` },
  // A subscription is a record from the day it ended; a live one is never purged.
  {
    table: 'billing_subscription',
    where: `"status" in ('canceled', 'incomplete_expired') and coalesce("ended_at", "canceled_at", "stripe_created_at") < ?`,
  },
  { table: 'plan_usage', where: `"period_end" < ?` },
  { table: 'plan_usage_charge', where: `"charged_at" < ?` },
  // The account goes last, once its org has been gone for the whole period and nothing of it is left.
  {
    table: 'billing_account',
    where: `"updated_at" < ?
      and not exists (select 1 from "organization" o where o."id" = "billing_account"."org_id" and (o."deleted_at" is null or o."deleted_at" >= ?))
      and not exists (select 1 from "billing_subscription" s where s."org_id" = "billing_account"."org_id")
      and not exists (select 1 from "billing_invoice" i where i."org_id" = "billing_account"."org_id")`,
  },
];

export interface BillingPurgeReport {
  cutoff: string;
  removed: Record<string, number>;
}

export function billingRetentionCutoff(now: Date): Date {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - BILLING_RECORD_RETENTION_YEARS);
  return cutoff;
}

export async function purgeBillingRecords(em: EntityManager, now = new Date()): Promise<BillingPurgeReport> {
  const cutoff = billingRetentionCutoff(now);
  const removed: Record<string, number> = {};
  for (const rule of RULES) {
    const binds = (rule.where.match(/\?/g) ?? []).map(() => cutoff);
    let total = 0;
    for (;;) {
      const [row] = await em.execute<{ n: number }[]>(
        `with gone as (
           delete from "${rule.table}" where ctid in (select ctid from "${rule.table}" where ${rule.where} limit ${BATCH})
           returning 1
         ) select count(*)::int as "n" from gone`,
        binds,
        'all',
      );
      const n = Number(row?.n ?? 0);
      total += n;
      if (n < BATCH) break;
    }
    removed[rule.table] = total;
    await em.execute(
      `insert into "retention_run" ("id", "created_at", "updated_at", "task", "cutoff", "rows_removed", "rows_aggregated")
       values (?, ?, ?, ?, ?, ?, 0)`,
      [uuidv7(), now, now, `purge-billing-records:${rule.table}`, cutoff, total],
    );
  }
  return { cutoff: cutoff.toISOString(), removed };
}
