import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { queuesConsumedBy, type ServiceName } from '@sessionpix/contracts';
import { HealthRegistry } from '@sessionpix/observability';
import type { Redis } from 'ioredis';
import { HandlerRegistry } from './handler-registry';
import { JobProducer } from './producer';
import { createRedis, REDIS } from './redis';
import { CONSUMED_QUEUES } from './tokens';
import { WorkerHost } from './worker-host';
import { DomainEvents } from './domain-events';
import { ItemPipeline } from './item-pipeline';
import { OutstandingSweeper } from './sweeper';
import { JobSchedules } from './job-schedules';
import { RpcClient } from './rpc';
import { OutboxDispatcher } from './outbox-dispatcher';

@Global()
@Module({})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static forRoot(services: readonly ServiceName[]): DynamicModule {
    return {
      module: QueueModule,
      imports: [DiscoveryModule],
      providers: [
        {
          provide: REDIS,
          inject: [APP_CONFIG, HealthRegistry],
          useFactory: (config: AppConfig, health: HealthRegistry) => {
            const redis = createRedis(config.REDIS_URL, `sessionpix:${services.join('+')}`);
            health.register({ name: 'redis', check: async () => void (await redis.ping()) });
            return redis;
          },
        },
        { provide: CONSUMED_QUEUES, useValue: queuesConsumedBy(services) },
        HandlerRegistry,
        JobProducer,
        WorkerHost,
        DomainEvents,
        ItemPipeline,
        OutstandingSweeper,
        JobSchedules,
        RpcClient,
        OutboxDispatcher,
      ],
      exports: [REDIS, JobProducer, DomainEvents, ItemPipeline, OutstandingSweeper, JobSchedules, OutboxDispatcher, RpcClient],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
