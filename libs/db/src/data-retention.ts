import type { EntityManager } from '@mikro-orm/postgresql';
import { RetentionRun } from './entities/retention-run.entity';

/** P6: usage and device logs are deleted (after aggregation) once they are this old. */
export const USAGE_LOG_RETENTION_DAYS = 90;
const DELETE_BATCH = 10_000;

export interface AggregationReport {
  /** Raw rows newly counted in feature_usage_daily. */
  aggregated: number;
  /** Rows that occurred before this (the start of the current UTC day) were in scope. */
  cutoff: Date;
}

export interface UsagePurgeReport {
  removed: number;
  aggregated: number;
  /** Rows that occurred before this were deleted. */
  cutoff: Date;
}

function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/**
 * P8: folds every finished UTC day of the usage log into per-day feature counts (no org, user,
 * IP or device: no personal data). One statement marks the rows and adds them to the counts,
 * so each row is counted once however often (or concurrently) this runs.
 */
export async function aggregateFeatureUsage(em: EntityManager, now = new Date()): Promise<AggregationReport> {
  const cutoff = startOfUtcDay(now);
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<{ aggregated: number }[]>(
      `with marked as (
         update "usage_event" set "aggregated_at" = ?
          where "aggregated_at" is null and "occurred_at" < ?
          returning "occurred_at", "feature"
       ), counted as (
         select ("occurred_at" at time zone 'UTC')::date as "day", "feature", count(*) as "n"
           from marked group by 1, 2
       ), added as (
         insert into "feature_usage_daily" ("day", "feature", "count")
         select "day", "feature", "n" from counted
         on conflict ("day", "feature") do update set "count" = "feature_usage_daily"."count" + excluded."count"
         returning 1
       )
       select coalesce(sum("n"), 0)::int as "aggregated" from counted`,
      [now, cutoff],
      'all',
    );
    const aggregated = Number(row?.aggregated ?? 0);
    tx.create(RetentionRun, { task: 'aggregate-usage', cutoff, rowsRemoved: 0, rowsAggregated: aggregated });
    return { aggregated, cutoff };
  });
}

/**
 * P6: deletes usage-log rows older than 90 days, counting them first (P8) so nothing is lost
 * from the aggregate, and records how many it removed in `retention_run`.
 */
export async function purgeUsageLogs(em: EntityManager, now = new Date()): Promise<UsagePurgeReport> {
  const { aggregated } = await aggregateFeatureUsage(em, now);
  const cutoff = new Date(now.getTime() - USAGE_LOG_RETENTION_DAYS * 24 * 3600 * 1000);
  let removed = 0;
  for (;;) {
    const rows = await em.execute<{ n: number }[]>(
      `with gone as (
         delete from "usage_event" where "id" in (
           select "id" from "usage_event" where "occurred_at" < ? and "aggregated_at" is not null limit ${DELETE_BATCH}
         ) returning 1
       ) select count(*)::int as "n" from gone`,
      [cutoff],
      'all',
    );
    const n = Number(rows[0]?.n ?? 0);
    removed += n;
    if (n < DELETE_BATCH) break;
  }
  const report = em.fork();
  report.create(RetentionRun, { task: 'purge-usage-logs', cutoff, rowsRemoved: removed, rowsAggregated: aggregated });
  await report.flush();
  return { removed, aggregated, cutoff };
}
