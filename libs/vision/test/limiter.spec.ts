import { loadConfig } from '@sessionpix/config';
import { uniquePrefix } from '@sessionpix/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelLimiter } from '../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

describe('the per-model limiter shared through Redis', () => {
  let redis: Redis;
  let prefix: string;

  const limiter = (limits: Record<string, { requestsPerMinute?: number; tokensPerMinute?: number }> | undefined) =>
    new ModelLimiter(
      redis,
      loadConfig(
        { QUEUE_PREFIX: prefix, ...(limits ? { VISION_MODEL_LIMITS: JSON.stringify(limits) } : {}) },
        { services: [] },
      ),
    );

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
  });

  it('lets a model’s requests per minute through, then says how long to wait, counting every replica together', async () => {
    const a = limiter({ [HAIKU]: { requestsPerMinute: 3 } });
    const b = limiter({ [HAIKU]: { requestsPerMinute: 3 } });
    expect([await a.acquire(HAIKU, 100), await b.acquire(HAIKU, 100), await a.acquire(HAIKU, 100)]).toEqual([0, 0, 0]);
    const wait = await b.acquire(HAIKU, 100);
    // One request comes back every 20 s at 3 a minute.
    expect(wait).toBeGreaterThan(15_000);
    expect(wait).toBeLessThanOrEqual(20_000);
    // Another model has its own budget.
    expect(await a.acquire(SONNET, 100)).toBe(0);
  });

  it('holds tokens per minute, and gives back what a call reserved but did not use', async () => {
    const l = limiter({ '*': { tokensPerMinute: 10_000 } });
    expect(await l.acquire(SONNET, 6_000)).toBe(0);
    const wait = await l.acquire(SONNET, 6_000);
    expect(wait).toBeGreaterThan(6_000);
    expect(wait).toBeLessThanOrEqual(12_000);
    await l.settle(SONNET, 6_000, 1_000); // the answer was short
    expect(await l.acquire(SONNET, 6_000)).toBe(0);
  });

  it('lets a request larger than a minute’s tokens through once the bucket is full, and does not limit unnamed models', async () => {
    const l = limiter({ [HAIKU]: { tokensPerMinute: 1_000, requestsPerMinute: 100 } });
    expect(await l.acquire(HAIKU, 50_000)).toBe(0);
    expect(await l.acquire(HAIKU, 10)).toBeGreaterThan(0); // in debt now
    expect(await l.acquire(SONNET, 1_000_000)).toBe(0);
    expect(await redis.exists(`${prefix}:vision-limit:${SONNET}`)).toBe(0);
    expect(await limiter(undefined).acquire(HAIKU, 1)).toBe(0);
  });
});
