import { Global, Inject, Module, RequestMethod, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { ServiceName } from '@sessionpix/contracts';
import { DbModule, MikroORM } from '@sessionpix/db';
import { HealthRegistry, loggerOptions } from '@sessionpix/observability';
import { QueueModule } from '@sessionpix/queue';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';

/** What every service of a process shares: configuration, logging, health, database, queues. */
@Global()
@Module({})
export class CoreModule implements OnModuleInit {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly health: HealthRegistry,
  ) {}

  static forRoot(
    config: AppConfig,
    services: readonly ServiceName[],
    logDestination?: DestinationStream,
  ): DynamicModule {
    const base = loggerOptions(config.LOG_LEVEL);
    return {
      module: CoreModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: logDestination ? [{ ...base, autoLogging: true }, logDestination] : { ...base, autoLogging: true },
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
        DbModule,
        QueueModule.forRoot(services),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: HealthRegistry, useValue: new HealthRegistry() },
      ],
      exports: [APP_CONFIG, HealthRegistry],
    };
  }

  onModuleInit(): void {
    this.health.register({
      name: 'postgres',
      check: async () => {
        await this.orm.em.fork().getConnection().execute('select 1');
      },
    });
  }
}
