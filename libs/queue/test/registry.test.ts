import { Injectable, Module } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { JobHandler } from '@sessionpix/queue';
import type { ServiceDefinition } from '@sessionpix/runtime';
import { createTestDatabase, startTestProcess, type TestDatabase, testConfig } from '@sessionpix/testing';

@Injectable()
class FirstHandler {
  @JobHandler('vision-pass-1')
  async handle(_job: ItemJob): Promise<void> {}
}

@Injectable()
class SecondHandler {
  @JobHandler('vision-pass-1')
  async handle(_job: ItemJob): Promise<void> {}
}

@Injectable()
class StrayHandler {
  @JobHandler('vision-pass-2')
  async handle(_job: ItemJob): Promise<void> {}
}

@Module({})
class NoHandlerModule {}
@Module({ providers: [FirstHandler, SecondHandler] })
class TwoHandlersModule {}
@Module({ providers: [FirstHandler, StrayHandler] })
class StrayHandlerModule {}
@Module({ providers: [FirstHandler] })
class OneHandlerModule {}

const service = (module: ServiceDefinition['module']): ServiceDefinition => ({ name: 'vision-pass-1', module });

describe('job handler registry', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('registry');
  });
  afterAll(async () => db.drop());

  const start = (module: ServiceDefinition['module']) =>
    startTestProcess(testConfig({ DATABASE_URL: db.url, SESSIONPIX_SERVICES: 'vision-pass-1' }), [service(module)]);

  it('refuses to start when a consumed queue has no handler', async () => {
    await expect(start(NoHandlerModule)).rejects.toThrow(/queue "vision-pass-1" has no @JobHandler/);
  });

  it('refuses to start when a queue has two handlers', async () => {
    await expect(start(TwoHandlersModule)).rejects.toThrow(
      /queue "vision-pass-1" has 2 handlers: FirstHandler.handle, SecondHandler.handle/,
    );
  });

  it('refuses a handler for a queue no service of the process consumes', async () => {
    await expect(start(StrayHandlerModule)).rejects.toThrow(/StrayHandler.handle handles "vision-pass-2"/);
  });

  it('starts with exactly one handler per consumed queue', async () => {
    const proc = await start(OneHandlerModule);
    await proc.close();
  });
});
