import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { REDIS } from '@sessionpix/queue';
import type { Redis } from 'ioredis';

/**
 * Requests and tokens per minute per Bedrock model, shared by every replica: two token buckets
 * per model in one Redis hash, refilled continuously at the configured rate (so replicas never
 * burst together at a minute boundary) and updated atomically by a script that reads Redis's
 * own clock. A call takes one request and its estimated tokens, or is told how long to wait;
 * afterwards it settles the difference between what it reserved and what the service reported.
 */

export interface ModelLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

const MINUTE_MS = 60_000;
/** Idle buckets are full again after a minute; keep the key a little longer, then let it go. */
const KEY_TTL_MS = 2 * MINUTE_MS;

// ARGV: requests per minute (0 = none), tokens per minute (0 = none), tokens wanted, key ttl.
// Returns 0 when both were taken, else the milliseconds until they would be there.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'r', 't', 'at')
local r = tonumber(state[1]) or rpm
local tk = tonumber(state[2]) or tpm
local at = tonumber(state[3]) or now
local elapsed = math.max(0, now - at)
if rpm > 0 then r = math.min(rpm, r + elapsed * rpm / 60000) end
if tpm > 0 then tk = math.min(tpm, tk + elapsed * tpm / 60000) end
local wait = 0
if rpm > 0 and r < 1 then wait = math.max(wait, (1 - r) * 60000 / rpm) end
-- A request larger than a whole minute's tokens waits for a full bucket, then goes into debt.
local need = math.min(want, tpm)
if tpm > 0 and tk < need then wait = math.max(wait, (need - tk) * 60000 / tpm) end
if wait == 0 then
  if rpm > 0 then r = r - 1 end
  if tpm > 0 then tk = tk - want end
end
redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tk), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return math.ceil(wait)`;

// ARGV: tokens per minute, tokens to give back (negative: to take), key ttl.
const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local tpm = tonumber(ARGV[1])
local tk = tonumber(redis.call('HGET', KEYS[1], 't')) or tpm
tk = math.min(tpm, tk + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 't', tostring(tk))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

@Injectable()
export class ModelLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The limit configured for a model: its own entry, else "*", else none. */
  limitFor(modelId: string): ModelLimit | null {
    const limits = this.config.VISION_MODEL_LIMITS;
    const limit = limits?.[modelId] ?? limits?.['*'];
    return limit && (limit.requestsPerMinute || limit.tokensPerMinute) ? limit : null;
  }

  private key(modelId: string): string {
    return `${this.config.QUEUE_PREFIX}:vision-limit:${modelId}`;
  }

  /** Takes one request and `tokens` for the model: 0 when granted, else the ms to wait first. */
  async acquire(modelId: string, tokens: number): Promise<number> {
    const limit = this.limitFor(modelId);
    if (!limit) return 0;
    const wait = await this.redis.eval(
      ACQUIRE,
      1,
      this.key(modelId),
      String(limit.requestsPerMinute ?? 0),
      String(limit.tokensPerMinute ?? 0),
      String(Math.max(0, Math.ceil(tokens))),
      String(KEY_TTL_MS),
    );
    return Number(wait);
  }

  /** After the call: return what the reservation over-counted, or take what it under-counted. */
  async settle(modelId: string, reserved: number, used: number): Promise<void> {
    const tpm = this.limitFor(modelId)?.tokensPerMinute;
    if (!tpm || reserved === used) return;
    await this.redis.eval(SETTLE, 1, this.key(modelId), String(tpm), String(Math.round(reserved - used)), String(KEY_TTL_MS));
  }
}
