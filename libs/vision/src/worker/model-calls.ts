import { type EntityManager, type Item, uuidv7 } from '@sessionpix/db';
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@sessionpix/observability';
import { costMicroUsd, DEFAULT_PRICE_TABLE, type PriceTable } from '../cost';
import type { VisionUsage } from '../errors';
import type { VisionPass } from '../passes';

export const modelCalls = new Counter({
  name: 'sessionpix_model_calls_total',
  help: 'Bedrock calls by pass and outcome.',
  labelNames: ['pass', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const modelCostMicroUsd = new Counter({
  name: 'sessionpix_model_cost_micro_usd_total',
  help: 'Estimated model spend in micro-USD from the price table, by pass.',
  labelNames: ['pass'] as const,
  registers: [metricsRegistry],
});

export const modelQuotaErrors = new Counter({
  name: 'sessionpix_model_quota_exceeded_total',
  help: 'Bedrock ServiceQuotaExceeded answers; each fails an item.',
  labelNames: ['pass'] as const,
  registers: [metricsRegistry],
});

export const modelTokens = new Counter({
  name: 'sessionpix_model_tokens_total',
  help: 'Tokens Bedrock reported, by pass and kind (input, output, cache_read, cache_write).',
  labelNames: ['pass', 'kind'] as const,
  registers: [metricsRegistry],
});

export const modelLatency = new Histogram({
  name: 'sessionpix_model_call_duration_seconds',
  help: 'Wall time of Bedrock calls as the worker saw them, by pass.',
  labelNames: ['pass'] as const,
  buckets: [0.5, 1, 2, 4, 8, 15, 30, 60, 120],
  registers: [metricsRegistry],
});

export const visionResultCache = new Counter({
  name: 'sessionpix_vision_result_cache_total',
  help: 'Answers looked up in the per-org result cache before a model call, by pass and outcome (hit, miss).',
  labelNames: ['pass', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const visionEscalations = new Counter({
  name: 'sessionpix_vision_escalations_total',
  help: 'Photos sent again to the escalation model, by pass and reason (low_confidence, bad_output, truncated).',
  labelNames: ['pass', 'reason'] as const,
  registers: [metricsRegistry],
});

export const visionLimiterWaits = new Counter({
  name: 'sessionpix_vision_limiter_waits_total',
  help: 'Calls the shared per-model limiter held back (waited in place or delayed), by pass.',
  labelNames: ['pass', 'how'] as const,
  registers: [metricsRegistry],
});

export interface CallRecord {
  pass: VisionPass;
  model: string;
  outcome: string;
  latencyMs: number;
  usage: VisionUsage | null;
  errorMessage?: string;
  /** The configured price table (VISION_PRICE_TABLE); the built-in one when not given. */
  priceTable?: PriceTable;
}

/** Priced from the versioned table; an unpriced model is recorded at 0 with no version. */
function price(model: string, usage: VisionUsage | null, table: PriceTable): { cost: number; version: string | null } {
  if (!usage) return { cost: 0, version: null };
  try {
    return { cost: costMicroUsd(model, usage, table), version: table.version };
  } catch {
    return { cost: 0, version: null };
  }
}

/**
 * One model_call row per attempt, written at once so a crash later still leaves the record. A
 * single statement that numbers the attempt itself: a count, then a unit-of-work flush around
 * the insert, took four round trips to the database.
 */
export async function recordModelCall(em: EntityManager, item: Item, call: CallRecord): Promise<void> {
  const { cost, version } = price(call.model, call.usage, call.priceTable ?? DEFAULT_PRICE_TABLE);
  await em.getConnection().execute(
    `insert into "model_call"
       ("id", "created_at", "updated_at", "org_id", "item_id", "pass", "attempt", "model", "outcome", "error_message",
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "latency_ms", "cost_micro_usd", "price_table_version")
     values (?, now(), now(), ?, ?, ?,
       (select coalesce(max("attempt"), 0) + 1 from "model_call" where "item_id" = ? and "pass" = ?),
       ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      uuidv7(),
      item.org.id,
      item.id,
      call.pass,
      item.id,
      call.pass,
      call.model,
      call.outcome,
      call.errorMessage?.slice(0, 2000) ?? null,
      call.usage?.inputTokens ?? 0,
      call.usage?.outputTokens ?? 0,
      call.usage?.cacheReadTokens ?? 0,
      call.usage?.cacheWriteTokens ?? 0,
      Math.round(call.latencyMs),
      cost,
      version,
    ],
  );
  const pass = String(call.pass);
  modelCalls.inc({ pass, outcome: call.outcome });
  modelLatency.observe({ pass }, call.latencyMs / 1000);
  if (cost > 0) modelCostMicroUsd.inc({ pass }, cost);
  if (call.usage) {
    const kinds = {
      input: call.usage.inputTokens,
      output: call.usage.outputTokens,
      cache_read: call.usage.cacheReadTokens,
      cache_write: call.usage.cacheWriteTokens,
    };
    for (const [kind, n] of Object.entries(kinds)) if (n > 0) modelTokens.inc({ pass, kind }, n);
  }
}
