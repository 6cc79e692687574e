import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DOMAIN_EVENTS_CHANNEL, domainEventSchema, type DomainEvent } from '@sessionpix/contracts';
import type { Redis } from 'ioredis';
import { REDIS } from './redis';

type Listener = (event: DomainEvent) => void;

/**
 * Domain events over Redis pub/sub: any process publishes (after its commit), the gateway
 * listens and pushes to clients. Delivery is best-effort by design — the database holds the
 * truth and clients re-read it after reconnecting.
 */
@Injectable()
export class DomainEvents implements OnApplicationShutdown {
  private readonly log = new Logger('DomainEvents');
  private subscriber: Redis | null = null;
  /** Settles once the SUBSCRIBE is confirmed; shared by every caller that comes meanwhile. */
  private subscribed: Promise<void> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async publish(event: DomainEvent): Promise<void> {
    await this.redis.publish(DOMAIN_EVENTS_CHANNEL, JSON.stringify(domainEventSchema.parse(event)));
  }

  /**
   * Returns an unsubscribe function once events reach `listener` — for every caller, not only
   * the first, which opens the subscription (later callers wait for the same SUBSCRIBE).
   */
  async subscribe(listener: Listener): Promise<() => void> {
    this.subscribed ??= this.openSubscription().catch((err: unknown) => {
      this.subscribed = null; // the next caller tries again
      throw err;
    });
    await this.subscribed;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async openSubscription(): Promise<void> {
    const previous = this.subscriber;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    previous?.disconnect();
    subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
    await subscriber.subscribe(DOMAIN_EVENTS_CHANNEL);
  }

  private dispatch(message: string): void {
    let event: DomainEvent;
    try {
      event = domainEventSchema.parse(JSON.parse(message));
    } catch (err) {
      this.log.warn(`dropping a malformed domain event: ${String(err)}`);
      return;
    }
    for (const listener of this.listeners) listener(event);
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    await this.subscriber?.quit().catch(() => undefined);
  }
}
