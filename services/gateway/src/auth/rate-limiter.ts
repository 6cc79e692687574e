import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { REDIS } from '@sessionpix/queue';
import type { Redis } from 'ioredis';
import { ProblemError } from '../http/problem';
import { sha256Hex } from './secrets';
import { withinTimeout } from './within-timeout';

/** INCR and, on the first hit of a window, set its expiry; answer the count and the ms left. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/** Redis answers in well under this; past it the limiter fails closed instead of hanging the request. */
const REDIS_TIMEOUT_MS = 2_000;

function unavailable(): ProblemError {
  return new ProblemError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'unavailable',
    'sign-in is briefly unavailable; try again in a moment',
    undefined,
    { 'retry-after': '5' },
  );
}

/** The actions limited against abuse, and what each counts. */
export type LimitedAction = 'sign-in' | 'sign-up' | 'password-reset' | 'password-reset-confirm' | 'confirm-email' | 'refresh';

export interface WindowState {
  count: number;
  resetMs: number;
}

/**
 * Fixed-window limits in Redis, per IP and per account (an e-mail address or a session), so
 * every gateway replica counts together. Keys hold a SHA-256 of the IP or address, never the
 * value itself, and expire with their window. If Redis does not answer, the limited routes
 * answer 503 (fail closed) rather than run unlimited.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get windowMs(): number {
    return this.config.AUTH_RATE_LIMIT_WINDOW_SECONDS * 1000;
  }

  /** Refreshes happen every few minutes per client, so their limits are ten times wider. */
  limitFor(action: LimitedAction, dimension: 'ip' | 'account'): number {
    const base = dimension === 'ip' ? this.config.AUTH_RATE_LIMIT_PER_IP : this.config.AUTH_RATE_LIMIT_PER_ACCOUNT;
    return action === 'refresh' ? base * 10 : base;
  }

  private key(action: LimitedAction, dimension: 'ip' | 'account', value: string): string {
    return `${this.config.QUEUE_PREFIX}:ratelimit:${action}:${dimension}:${sha256Hex(value.toLowerCase()).slice(0, 40)}`;
  }

  async hit(action: LimitedAction, dimension: 'ip' | 'account', value: string): Promise<WindowState> {
    const [count, ttl] = (await withinTimeout(
      this.redis.eval(HIT, 1, this.key(action, dimension, value), String(this.windowMs)),
      REDIS_TIMEOUT_MS,
      unavailable,
    )) as [number, number];
    return { count, resetMs: ttl };
  }

  async peek(action: LimitedAction, dimension: 'ip' | 'account', value: string): Promise<WindowState> {
    const key = this.key(action, dimension, value);
    const [count, ttl] = await withinTimeout(Promise.all([this.redis.get(key), this.redis.pttl(key)]), REDIS_TIMEOUT_MS, unavailable);
    return { count: Number(count ?? 0), resetMs: ttl > 0 ? ttl : 0 };
  }

  async clear(action: LimitedAction, dimension: 'ip' | 'account', value: string): Promise<void> {
    await withinTimeout(this.redis.del(this.key(action, dimension, value)), REDIS_TIMEOUT_MS, unavailable);
  }

  /** Counts this attempt; a 429 when it is over the limit. */
  async consume(action: LimitedAction, dimension: 'ip' | 'account', value: string): Promise<void> {
    const state = await this.hit(action, dimension, value);
    if (state.count > this.limitFor(action, dimension)) throw tooMany(state.resetMs);
  }

  /** A 429 when earlier attempts (counted with `hit`) already reached the limit. */
  async assertUnder(action: LimitedAction, dimension: 'ip' | 'account', value: string): Promise<void> {
    const state = await this.peek(action, dimension, value);
    if (state.count >= this.limitFor(action, dimension)) throw tooMany(state.resetMs);
  }
}

/**
 * The same words whether or not an account exists behind the address: a lock-out reveals
 * nothing about which e-mails are registered.
 */
export function tooMany(resetMs: number): ProblemError {
  const seconds = Math.max(1, Math.ceil(resetMs / 1000));
  return new ProblemError(
    HttpStatus.TOO_MANY_REQUESTS,
    'rate_limited',
    `too many attempts for this account or from this address; try again in ${seconds} second(s)`,
    undefined,
    { 'retry-after': String(seconds) },
  );
}
