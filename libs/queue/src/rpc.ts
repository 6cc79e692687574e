import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { RpcDefinition, ServiceName } from '@sessionpix/contracts';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { REDIS } from './redis';

/**
 * Request/response between services over Redis: a caller pushes a request onto the serving
 * service's list and waits, with a timeout, for the answer on a channel of its own. Exactly one
 * replica of the service takes each request (BRPOP), and a request whose caller has given up
 * (its deadline passed) is dropped unanswered. Messages carry ids, never secrets: the serving
 * service holds the credentials (only billing holds the Stripe key).
 *
 * DESIGN.md names @nestjs/microservices' Redis transport for this. The registry has no
 * @nestjs/microservices release matching this repository's @nestjs/core (11.2.10; its 11.x line
 * stops at 11.2.6), so this small transport stands in. The contract — message names and zod
 * schemas in libs/contracts (BILLING_RPC) — is transport-neutral: moving to a ClientProxy and
 * @MessagePattern handlers changes this file, BillingClient and BillingRpcServer only. (Nest's
 * transport is pub/sub, so every billing replica would get each request; this one hands each to
 * one replica.)
 */

interface RequestMessage {
  id: string;
  pattern: string;
  data: unknown;
  replyTo: string;
  /** Epoch ms after which the caller no longer waits. */
  deadline: number;
}

type ReplyMessage =
  | { id: string; ok: true; response: unknown }
  | { id: string; ok: false; error: { code: string; message: string } };

export function rpcRequestList(prefix: string, service: ServiceName): string {
  return `${prefix}:rpc:${service}:requests`;
}

/** The serving side refused or failed the request; `code` is one of the contract's codes. */
export class RpcRemoteError extends Error {
  override name = 'RpcRemoteError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer within the timeout (the service is down, busy, or the request was lost). */
export class RpcTimeoutError extends Error {
  override name = 'RpcTimeoutError';
}

@Injectable()
export class RpcClient implements OnApplicationShutdown {
  private readonly log = new Logger('RpcClient');
  private readonly clientId = randomUUID();
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> | null = null;
  private readonly pending = new Map<string, (reply: ReplyMessage) => void>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get replyChannel(): string {
    return `${this.config.QUEUE_PREFIX}:rpc:reply:${this.clientId}`;
  }

  async call<Req extends z.ZodType, Res extends z.ZodType>(
    service: ServiceName,
    def: RpcDefinition<Req, Res>,
    data: z.input<Req>,
    opts: { timeoutMs?: number } = {},
  ): Promise<z.output<Res>> {
    const request = def.request.parse(data);
    await this.ensureSubscribed();
    const timeoutMs = opts.timeoutMs ?? def.timeoutMs;
    const id = randomUUID();
    const message: RequestMessage = {
      id,
      pattern: def.pattern,
      data: request,
      replyTo: this.replyChannel,
      deadline: Date.now() + timeoutMs,
    };
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(`${service} did not answer ${def.pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(r);
      });
    });
    try {
      // Requests nobody takes do not pile up: the list lives a little longer than the newest
      // request's deadline.
      const list = rpcRequestList(this.config.QUEUE_PREFIX, service);
      await this.redis.multi().lpush(list, JSON.stringify(message)).pexpire(list, timeoutMs + 60_000).exec();
    } catch (err) {
      this.pending.get(id)?.({ id, ok: false, error: { code: 'internal', message: String(err) } });
      throw err;
    }
    const answer = await reply;
    if (!answer.ok) throw new RpcRemoteError(answer.error.code, answer.error.message);
    return def.response.parse(answer.response);
  }

  private ensureSubscribed(): Promise<void> {
    this.subscribed ??= (async () => {
      const subscriber = this.redis.duplicate();
      this.subscriber = subscriber;
      subscriber.on('message', (_channel: string, raw: string) => {
        let reply: ReplyMessage;
        try {
          reply = JSON.parse(raw) as ReplyMessage;
        } catch {
          this.log.warn('dropping a malformed RPC reply');
          return;
        }
        this.pending.get(reply.id)?.(reply);
      });
      await subscriber.subscribe(this.replyChannel);
    })().catch((err: unknown) => {
      this.subscribed = null;
      throw err;
    });
    return this.subscribed;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}

export type RpcHandler = (data: unknown) => Promise<unknown>;

export interface RpcRoute {
  def: RpcDefinition<z.ZodType, z.ZodType>;
  handle: (data: never) => Promise<unknown>;
}

/**
 * The serving side: takes requests off the service's list one replica at a time, validates each
 * against its contract, runs the handler (several at once), and publishes the answer.
 */
export class RpcServer {
  private readonly log = new Logger('RpcServer');
  private readonly routes = new Map<string, RpcRoute>();
  private listener: Redis | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly service: ServiceName,
    private readonly maxInFlight = 8,
    /** Turns a handler's error into the code and message the caller sees. */
    private readonly describeError: (err: unknown) => { code: string; message: string } = () => ({
      code: 'internal',
      message: 'the request failed; see the service log',
    }),
  ) {}

  route<Req extends z.ZodType, Res extends z.ZodType>(
    def: RpcDefinition<Req, Res>,
    handle: (data: z.output<Req>) => Promise<z.input<Res>>,
  ): this {
    this.routes.set(def.pattern, { def, handle: handle as (data: never) => Promise<unknown> });
    return this;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listener = this.redis.duplicate();
    this.loop = this.run(this.listener);
  }

  private async run(listener: Redis): Promise<void> {
    const list = rpcRequestList(this.prefix, this.service);
    while (this.running) {
      if (this.inFlight.size >= this.maxInFlight) {
        await Promise.race(this.inFlight);
        continue;
      }
      let popped: [string, string] | null;
      try {
        popped = await listener.brpop(list, 1);
      } catch (err) {
        if (!this.running) break;
        this.log.warn(`waiting for ${this.service} requests failed: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!popped) continue;
      const task = this.serve(popped[1]).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
  }

  private async serve(raw: string): Promise<void> {
    let message: RequestMessage;
    try {
      message = JSON.parse(raw) as RequestMessage;
    } catch {
      this.log.warn('dropping a malformed RPC request');
      return;
    }
    if (Date.now() > message.deadline) {
      this.log.warn(`dropping ${message.pattern}: its caller stopped waiting`);
      return;
    }
    const route = this.routes.get(message.pattern);
    let reply: ReplyMessage;
    if (!route) {
      reply = { id: message.id, ok: false, error: { code: 'invalid_request', message: `unknown request ${message.pattern}` } };
    } else {
      const parsed = route.def.request.safeParse(message.data);
      if (!parsed.success) {
        reply = { id: message.id, ok: false, error: { code: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
      } else {
        try {
          const response = route.def.response.parse(await route.handle(parsed.data as never));
          reply = { id: message.id, ok: true, response };
        } catch (err) {
          reply = { id: message.id, ok: false, error: this.describeError(err) };
        }
      }
    }
    await this.redis.publish(message.replyTo, JSON.stringify(reply)).catch((err: unknown) => {
      this.log.warn(`answering ${message.pattern} failed: ${String(err)}`);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.listener?.disconnect();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }
}
