import { randomBytes } from 'node:crypto';
import type { AppConfig } from '@sessionpix/config';
import { Redis, type RedisOptions } from 'ioredis';
import { ApiKeyCache, type TrustedApiKey } from '../src/auth/api-key-cache';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const key = (): TrustedApiKey => ({ id: 'k1', orgId: 'o1', role: 'member', secretHash: 'ab', lastUsedAt: null });

describe('ApiKeyCache', () => {
  const prefix = `spxtest-keycache-${randomBytes(4).toString('hex')}`;
  const config = { QUEUE_PREFIX: prefix } as AppConfig;
  const connections: Redis[] = [];
  const connect = (url = REDIS_URL, opts: RedisOptions = {}) => {
    const redis = new Redis(url, { maxRetriesPerRequest: null, ...opts });
    redis.on('error', () => undefined); // the unreachable one keeps failing; the test looks at lookups
    connections.push(redis);
    return redis;
  };
  const ready = (redis: Redis) => (redis.status === 'ready' ? Promise.resolve() : new Promise((r) => redis.once('ready', r)));

  afterAll(async () => {
    const live = connections.find((c) => c.status === 'ready');
    await live?.del(`${prefix}:api-key-revocations`);
    for (const c of connections) c.disconnect();
  });

  it('reads a key once, then answers from memory until any gateway announces a revocation', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const here = new ApiKeyCache(a, config);
    const elsewhere = new ApiKeyCache(b, config);
    let loads = 0;
    const load = async () => {
      loads += 1;
      return key();
    };
    expect(await here.lookup('abc', load)).toMatchObject({ id: 'k1' });
    expect(await here.lookup('abc', load)).toMatchObject({ id: 'k1' });
    expect(loads).toBe(1);
    await elsewhere.announceRevocation();
    expect(await here.lookup('abc', async () => null)).toBeNull();
    expect(await here.lookup('abc', load)).toMatchObject({ id: 'k1' });
    expect(loads).toBe(2);
  });

  it('reads the database every time while Redis is out of reach, without waiting for it', async () => {
    // Nothing listens on port 1: the connection never becomes ready.
    const cache = new ApiKeyCache(connect('redis://127.0.0.1:1', { retryStrategy: () => 1_000 }), config);
    let loads = 0;
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      expect(
        await cache.lookup('abc', async () => {
          loads += 1;
          return key();
        }),
      ).toMatchObject({ id: 'k1' });
    }
    expect(loads).toBe(3);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
