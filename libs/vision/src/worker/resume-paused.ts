import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { Analysis, emForSystem, Item, MikroORM } from '@sessionpix/db';
import { ItemPipeline } from '@sessionpix/queue';
import type { PassDefinition } from './vision-step';
import { NOT_CONFIGURED } from './vision-step';
import { BedrockProvider } from './bedrock.provider';

const BATCH = 500;

/**
 * Items paused because vision was not configured resume by themselves once it is: each pass
 * service, when configured, moves its own paused items back to its input status and
 * enqueues them (claiming each by bumping `run`, so replicas do not double up).
 */
@Injectable()
export class PausedItemResumer implements OnApplicationShutdown {
  private readonly log = new Logger('Resume');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly pipeline: ItemPipeline,
    private readonly bedrock: BedrockProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Resume now and on the sweep interval, for as long as the process runs. */
  start(def: PassDefinition): void {
    const tick = () => {
      this.resume(def).catch((err: unknown) => this.log.warn(`resuming pass ${def.pass} failed: ${String(err)}`));
    };
    tick();
    const timer = setInterval(tick, this.config.SWEEP_INTERVAL_SECONDS * 1000);
    timer.unref();
    this.timers.push(timer);
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  async resume(def: PassDefinition): Promise<number> {
    if (!(await this.bedrock.isConfigured())) return 0;
    const em = emForSystem(this.orm);
    const paused = await em.find(
      Item,
      { status: 'paused', reasonCode: NOT_CONFIGURED.reasonCode },
      { filters: { tenant: false }, limit: BATCH, orderBy: { statusChangedAt: 'asc' } },
    );
    if (paused.length === 0) return 0;
    const withPass1 = new Set(
      (
        await em.find(Analysis, { item: { $in: paused.map((i) => i.id) }, pass: 1 }, { filters: { tenant: false }, fields: ['item'] })
      ).map((a) => a.item.id),
    );
    let resumed = 0;
    for (const item of paused) {
      const pass = withPass1.has(item.id) ? 2 : 1;
      if (pass !== def.pass) continue;
      const claimed = await em.nativeUpdate(
        Item,
        { id: item.id, run: item.run, status: 'paused' },
        { run: item.run + 1, status: def.input, reasonCode: null, reason: null, statusChangedAt: new Date() },
        { filters: { tenant: false } },
      );
      if (claimed === 0) continue;
      const fresh = await emForSystem(this.orm).findOneOrFail(Item, item.id, { filters: { tenant: false } });
      await this.pipeline.announce(fresh);
      await this.pipeline.enqueue(def.pass === 1 ? 'vision-pass-1' : 'vision-pass-2', fresh);
      resumed += 1;
    }
    if (resumed > 0) this.log.log(`resumed ${resumed} paused item(s) for pass ${def.pass}`);
    return resumed;
  }
}
