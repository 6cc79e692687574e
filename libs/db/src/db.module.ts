import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from './orm';
import { OutboxWriter } from './outbox';

export const MIKRO_ORM = MikroORM;

/** Provides the process's one MikroORM instance; code forks units of work from it. */
@Global()
@Module({
  providers: [
    {
      provide: MikroORM,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        openOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX }),
    },
    OutboxWriter,
  ],
  exports: [MikroORM, OutboxWriter],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close(true);
  }
}
