import { ModelCall, type EntityManager, type Item } from '@sessionpix/db';
import { Counter } from 'prom-client';
import { metricsRegistry } from '@sessionpix/observability';
import { costMicroUsd, DEFAULT_PRICE_TABLE } from '../cost';
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

export interface CallRecord {
  pass: VisionPass;
  model: string;
  outcome: string;
  latencyMs: number;
  usage: VisionUsage | null;
  errorMessage?: string;
}

/** Priced from the versioned table; an unpriced model is recorded at 0 with no version. */
function price(model: string, usage: VisionUsage | null): { cost: number; version: string | null } {
  if (!usage) return { cost: 0, version: null };
  try {
    return { cost: costMicroUsd(model, usage, DEFAULT_PRICE_TABLE), version: DEFAULT_PRICE_TABLE.version };
  } catch {
    return { cost: 0, version: null };
  }
}

/** One model_call row per attempt, written at once so a crash later still leaves the record. */
export async function recordModelCall(em: EntityManager, item: Item, call: CallRecord): Promise<void> {
  const attempt = (await em.count(ModelCall, { item: item.id, pass: call.pass })) + 1;
  const { cost, version } = price(call.model, call.usage);
  em.create(ModelCall, {
    org: item.org.id,
    item: item.id,
    pass: call.pass,
    attempt,
    model: call.model,
    outcome: call.outcome,
    errorMessage: call.errorMessage?.slice(0, 2000) ?? null,
    inputTokens: call.usage?.inputTokens ?? 0,
    outputTokens: call.usage?.outputTokens ?? 0,
    cacheReadTokens: call.usage?.cacheReadTokens ?? 0,
    cacheWriteTokens: call.usage?.cacheWriteTokens ?? 0,
    latencyMs: Math.round(call.latencyMs),
    costMicroUsd: cost,
    priceTableVersion: version,
  });
  await em.flush();
  modelCalls.inc({ pass: String(call.pass), outcome: call.outcome });
  if (cost > 0) modelCostMicroUsd.inc({ pass: String(call.pass) }, cost);
}
