import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { MaintenanceJob } from '@sessionpix/contracts';
import { aggregateFeatureUsage, emForSystem, MikroORM, purgeUsageLogs } from '@sessionpix/db';
import { JobHandler, JobProducer, JobSchedules, OutstandingSweeper } from '@sessionpix/queue';
import { PurgeHandler } from './purge.handler';

/** Scheduled upkeep on the maintenance queue; BullMQ's job schedulers fire it once per interval across replicas. */
@Injectable()
export class MaintenanceHandler implements OnApplicationBootstrap {
  constructor(
    private readonly producer: JobProducer,
    private readonly schedules: JobSchedules,
    private readonly purge: PurgeHandler,
    private readonly sweeper: OutstandingSweeper,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MikroORM) private readonly orm: MikroORM,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const schedules: Record<MaintenanceJob['task'], number> = {
      'purge-tombstones': 15 * 60_000,
      'sweep-outstanding': this.config.SWEEP_INTERVAL_SECONDS * 1000,
      'aggregate-usage': 3600_000,
      'purge-usage-logs': 6 * 3600_000,
    };
    // Kept, not just registered: a Redis flush that loses them is repaired without a restart.
    for (const [task, every] of Object.entries(schedules) as [MaintenanceJob['task'], number][]) {
      await this.schedules.keep('maintenance', task, every, { v: 1, task, slot: 'scheduled' });
    }
    // And once at start-up, so work lost while no ingest ran resumes without waiting.
    await this.producer.enqueue('maintenance', {
      v: 1,
      task: 'sweep-outstanding',
      slot: `startup-${new Date().toISOString().slice(0, 16)}`,
    });
  }

  @JobHandler('maintenance')
  async run(job: MaintenanceJob): Promise<string> {
    switch (job.task) {
      case 'purge-tombstones':
        return `re-enqueued ${await this.purge.enqueueMissedPurges()} purge(s)`;
      case 'sweep-outstanding': {
        const report = await this.sweeper.sweep(this.config.SWEEP_GRACE_SECONDS * 1000);
        return `examined ${report.examined}, re-enqueued ${report.requeued}`;
      }
      // P8 and P6: the logic lives with the data (libs/db data-retention); each run is recorded.
      case 'aggregate-usage':
        return `aggregated ${(await aggregateFeatureUsage(emForSystem(this.orm))).aggregated} usage row(s)`;
      case 'purge-usage-logs': {
        const report = await purgeUsageLogs(emForSystem(this.orm));
        return `removed ${report.removed} usage row(s) older than ${report.cutoff.toISOString()}`;
      }
    }
  }
}
