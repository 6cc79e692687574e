import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { ApiKeyRole } from '@sessionpix/contracts';
import { REDIS } from '@sessionpix/queue';
import { Redis } from 'ioredis';
import { withinTimeout } from './within-timeout';

/** How long a key's row is trusted without reading it again, when no revocation came meanwhile. */
const TRUST_MS = 30_000;
const MAX_KEYS = 10_000;
/** Redis answers a GET in well under this; past it the key is read from the database instead. */
const COUNTER_TIMEOUT_MS = 250;

/** What the guard needs of a valid, unrevoked key of a live org. */
export interface TrustedApiKey {
  id: string;
  orgId: string;
  role: ApiKeyRole;
  secretHash: string;
  lastUsedAt: number | null;
}

/** The Redis counter every revocation (a key revoked, an org closed) increments. */
export function revocationsKey(queuePrefix: string): string {
  return `${queuePrefix}:api-key-revocations`;
}

/**
 * Keys looked up recently, so an API request does not read its key and org from PostgreSQL every
 * time. Each entry remembers the revocation counter it was read under; a request reads the
 * counter (one Redis GET) and a changed counter sends every key back to the database, so a
 * revocation on any replica or from the admin CLI stops the key on the next request. Without
 * Redis (not connected, or no answer within COUNTER_TIMEOUT_MS) the cache is bypassed; entries
 * also expire after TRUST_MS.
 */
@Injectable()
export class ApiKeyCache {
  private readonly log = new Logger('ApiKeyCache');
  private readonly keys = new Map<string, { key: TrustedApiKey; epoch: string; until: number }>();
  private readonly counter: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.counter = revocationsKey(config.QUEUE_PREFIX);
  }

  /** The key from the cache, or from `load` (null: unknown, revoked or of a closed org). */
  async lookup(keyId: string, load: () => Promise<TrustedApiKey | null>): Promise<TrustedApiKey | null> {
    let epoch: string;
    try {
      // Not connected: commands would wait in ioredis' offline queue until Redis is back.
      if (this.redis.status !== 'ready') throw new Error(`Redis is ${this.redis.status}`);
      const read = this.redis.get(this.counter);
      read.catch(() => undefined); // a late failure after the timeout is of no interest
      epoch = (await withinTimeout(read, COUNTER_TIMEOUT_MS, () => new Error('no answer in time'))) ?? '0';
    } catch (err) {
      this.log.debug(`revocation counter unreadable, reading the key from the database: ${String(err)}`);
      return load();
    }
    const now = Date.now();
    const hit = this.keys.get(keyId);
    if (hit && hit.epoch === epoch && hit.until > now) return hit.key;
    const key = await load();
    this.keys.delete(keyId);
    if (key) {
      // Map order is insertion order: the oldest entry goes first.
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(keyId, { key, epoch, until: now + TRUST_MS });
    }
    return key;
  }

  /** After a revocation has committed: no replica trusts its cached keys any longer. */
  async announceRevocation(): Promise<void> {
    this.keys.clear();
    await announceApiKeyRevocation(this.redis, this.counter).catch((err: unknown) =>
      this.log.warn(`could not announce an API key revocation to other gateways (they notice within ${TRUST_MS / 1000} s): ${String(err)}`),
    );
  }
}

export async function announceApiKeyRevocation(redis: Redis, counter: string): Promise<void> {
  await redis.incr(counter);
}

/**
 * The same announcement from a process that has no gateway (the admin CLI): one INCR on a
 * short-lived connection that gives up quickly rather than waiting for Redis to come back.
 */
export async function announceApiKeyRevocationTo(redisUrl: string, queuePrefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await announceApiKeyRevocation(redis, revocationsKey(queuePrefix));
  } finally {
    redis.disconnect();
  }
}
