import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { HealthRegistry } from '@sessionpix/observability';
import { ObjectStore } from './object-store';
import { objectStoreOptionsFromConfig } from './options';

/** One ObjectStore per process, checked by readiness (HeadBucket). */
@Global()
@Module({
  providers: [
    {
      provide: ObjectStore,
      inject: [APP_CONFIG, HealthRegistry],
      useFactory: (config: AppConfig, health: HealthRegistry) => {
        const store = new ObjectStore(objectStoreOptionsFromConfig(config));
        health.register({ name: 's3', check: () => store.ping() });
        return store;
      },
    },
  ],
  exports: [ObjectStore],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(ObjectStore) private readonly store: ObjectStore) {}

  onApplicationShutdown(): void {
    this.store.destroy();
  }
}
