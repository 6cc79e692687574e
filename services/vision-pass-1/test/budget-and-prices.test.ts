/**
 * Pass 1 against the Converse stand-in with a per-model budget in Redis and a configured price
 * table: a call over the budget waits as a delayed job (no attempt used, nothing failed), and
 * every call is costed from the configured table, cache-read tokens included.
 */
import { JobProducer, REDIS } from '@sessionpix/queue';
import { fakeJpeg } from '@sessionpix/testing';
import { buildConverseInput, costMicroUsd, estimateRequest, parsePriceTable, quotaTokens } from '@sessionpix/vision';
import type { Redis } from 'ioredis';
import { recallModel } from '../../../apps/sessionpix/test/support/answers';
import { type Edges, SERVICES, startEdges, startSystem, type System } from '../../../apps/sessionpix/test/support/system';
import { attempts, seedIngested, settle } from './seed';

const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const PRICES = {
  version: 'contract-2027-01',
  models: { 'anthropic.claude-haiku-4-5': { inputPerMTok: 2_000_000, outputPerMTok: 4_000_000, cacheReadPerMTok: 200_000, cacheWritePerMTok: 2_500_000 } },
};

describe('pass 1 within a per-model budget, costed from the configured price table', () => {
  let edges: Edges;
  let system: System;

  beforeAll(async () => {
    // Each answer takes 2 s, so the second job asks for its budget while the first call is still
    // out, whatever the machine's load: its wait is then certain, not a matter of timing.
    edges = await startEdges('visionbudget', { responder: recallModel().responder, delayMs: 2_000 });
    // What one pass 1 call of a seeded item (a 320×240 rendition) reserves: its input plus maxTokens.
    const reserve = quotaTokens(
      estimateRequest(buildConverseInput({ pass: 1, modelId: HAIKU, images: [{ bytes: fakeJpeg(320, 240), format: 'jpeg', label: 'overview' }], maxTokens: 4_096 })),
    );
    // A bucket of 1.9 calls: the first call goes at once, the second waits about 3 s for the refill.
    const tokensPerMinute = Math.round(reserve * 1.9);
    system = await startSystem(edges, [SERVICES.pass1], {
      VISION_PASS1_MODEL: HAIKU,
      VISION_MODEL_LIMITS: JSON.stringify({ [HAIKU]: { tokensPerMinute } }),
      VISION_PRICE_TABLE: JSON.stringify(PRICES),
    });
  });

  afterAll(async () => {
    await system?.close();
    await edges?.close();
  });

  it('holds a call over the budget back as a delayed job, then makes it: nothing fails, no attempt is used', async () => {
    const items = await seedIngested(system, 2, { enqueue: false });
    const producer = system.proc.app.get(JobProducer);
    for (const item of items) await producer.enqueue('vision-pass-1', { v: 1, orgId: item.orgId, itemId: item.id, run: 0 });
    const rows = await settle(edges, items, ['identified', 'failed'], 30_000);
    expect(rows.map((r) => r.status)).toEqual(['identified', 'identified']);
    for (const item of items) expect(await attempts(edges, item)).toEqual(['1:ok']);

    // One of the two jobs went back to the delayed set to wait for the budget, without a failed attempt.
    const redis = system.proc.app.get<Redis>(REDIS);
    const delayed: string[] = [];
    for (const [, fields] of await redis.xrange(`${edges.prefix}:vision-pass-1:events`, '-', '+')) {
      const record = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])));
      if (record.event === 'delayed') delayed.push(record.jobId!);
    }
    expect(delayed.length).toBeGreaterThanOrEqual(1);
    for (const item of items) {
      const job = await producer.queue('vision-pass-1').getJob(`vision-pass-1-${item.id}-0`);
      expect(await job?.getState()).toBe('completed');
      expect(job?.attemptsMade).toBe(1);
    }
    // The bucket lives in Redis, under the queue prefix, where every replica finds it.
    expect(await redis.exists(`${edges.prefix}:vision-limit:${HAIKU}`)).toBe(1);
  });

  it('costs every call from VISION_PRICE_TABLE, and reports the prompt-cache reads of later calls', async () => {
    const calls = await edges.sql<{ input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; cost_micro_usd: string; price_table_version: string }>(
      'select input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micro_usd, price_table_version from model_call order by created_at',
    );
    expect(calls).toHaveLength(2);
    const table = parsePriceTable(PRICES);
    for (const c of calls) {
      expect(c.price_table_version).toBe('contract-2027-01');
      const usage = { inputTokens: c.input_tokens, outputTokens: c.output_tokens, cacheReadTokens: c.cache_read_tokens, cacheWriteTokens: c.cache_write_tokens };
      expect(Number(c.cost_micro_usd)).toBe(costMicroUsd(HAIKU, usage, table));
    }
    // The first call wrote the static prefix (system prompt + tool schema) to the cache; the second read it.
    expect(calls[0]!.cache_write_tokens).toBeGreaterThan(0);
    expect(calls[1]!.cache_read_tokens).toBe(calls[0]!.cache_write_tokens);
  });
});
