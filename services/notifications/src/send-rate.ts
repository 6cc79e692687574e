import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { REDIS } from '@sessionpix/queue';
import type { Redis } from 'ioredis';

/**
 * A token bucket in Redis, shared by every notifications replica: `rate` tokens a second, at
 * most `burst` saved up. Redis's own clock (TIME) keeps replicas with skewed clocks honest.
 * Returns 0 when a token was taken, else how many ms until one is due.
 */
const TAKE_TOKEN = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return wait
`;

type WithTakeToken = Redis & { spxTakeSendToken(key: string, rate: number, burst: number): Promise<number> };

/**
 * SES_MAX_SEND_RATE across all replicas (BullMQ's worker limiter counts jobs, not sends: a job
 * that ends suppressed, or waits for a paused broadcast, would use up the SES budget). Every
 * send takes a token just before SES is called; 0 turns the limit off.
 */
@Injectable()
export class SendRateLimiter {
  readonly rate: number;
  readonly burst: number;
  private readonly key: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.rate = config.SES_MAX_SEND_RATE;
    // One second's worth may go at once, as SES allows.
    this.burst = Math.max(1, Math.floor(this.rate));
    this.key = `${config.QUEUE_PREFIX}:ses-send-rate`;
    if (!(redis as unknown as Partial<WithTakeToken>).spxTakeSendToken) {
      redis.defineCommand('spxTakeSendToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    }
  }

  /** Waits for a token (resolves at once with the limit off). */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.rate <= 0) return;
    for (;;) {
      signal?.throwIfAborted();
      const wait = Number(await (this.redis as unknown as WithTakeToken).spxTakeSendToken(this.key, this.rate, this.burst));
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 1_000)));
    }
  }
}
