import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { emForSystem, MikroORM, UsageEvent, uuidv7 } from '@sessionpix/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthenticatedRequest } from '../auth/tenant';
import { parseUserAgent } from '../auth/user-agent';

const FLUSH_EVERY_MS = 2_000;
const FLUSH_AT = 500;
/** If the database is away, memory stays bounded: beyond this the oldest rows are dropped. */
const MAX_BUFFERED = 20_000;
const APP_HEADER = 'x-sessionpix-app';

type UsageRow = Omit<UsageEvent, 'aggregatedAt'>;

/** "ios/2.3.0" — printable, short; anything else is not recorded. */
function appVersion(request: FastifyRequest): string | null {
  const raw = request.headers[APP_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return null;
  return /^[\x20-\x7e]{1,64}$/.test(value) ? value : null;
}

/** The route pattern as the OpenAPI document names it: "GET /v1/collections/{id}". */
export function featureOf(method: string, routeUrl: string): string {
  return `${method} ${routeUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/**
 * P6: one usage row per API request (IP, device type, OS, app version, feature, time),
 * recorded off the request path: an in-memory buffer flushed in batches every few seconds,
 * and once more on shutdown.
 */
@Injectable()
export class UsageLog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('UsageLog');
  private buffer: UsageRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<number> | null = null;
  private dropped = 0;

  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Adds the onResponse hook that records each answered /v1 route. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions?.url;
      if (!route || !route.startsWith('/v1/')) return;
      const caller = request as AuthenticatedRequest;
      const device = parseUserAgent(request.headers['user-agent']);
      this.record({
        id: uuidv7(),
        occurredAt: new Date(),
        orgId: caller.tenant?.orgId ?? null,
        userId: caller.tenant?.userId ?? caller.principal?.userId ?? null,
        apiKeyId: caller.tenant?.apiKeyId ?? null,
        ip: request.ip,
        deviceType: device.deviceType,
        os: device.os,
        appVersion: appVersion(request),
        feature: featureOf(request.method, route),
        status: reply.statusCode,
      });
    });
  }

  record(row: UsageRow): void {
    this.buffer.push(row);
    if (this.buffer.length > MAX_BUFFERED) {
      const excess = this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Writes what is buffered; one flush at a time. Resolves with the rows written. */
  async flush(): Promise<number> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return 0;
    const rows = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      try {
        await emForSystem(this.orm).insertMany(UsageEvent, rows);
        return rows.length;
      } catch (err) {
        // Put them back for the next try; the cap above bounds the memory.
        this.buffer = rows.concat(this.buffer);
        this.log.warn(`could not write ${rows.length} usage row(s); will retry: ${(err as Error).message}`);
        return 0;
      } finally {
        this.flushing = null;
      }
    })();
    const written = await this.flushing;
    if (this.dropped > 0) {
      this.log.warn(`dropped ${this.dropped} usage row(s) while the database was unavailable`);
      this.dropped = 0;
    }
    return written;
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
