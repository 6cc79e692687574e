import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { MaintenanceJob } from '@sessionpix/contracts';
import { JobHandler, JobProducer, OutstandingSweeper } from '@sessionpix/queue';
import { PurgeHandler } from './purge.handler';

/** Scheduled upkeep on the maintenance queue; BullMQ's job schedulers fire it once per interval across replicas. */
@Injectable()
export class MaintenanceHandler implements OnApplicationBootstrap {
  constructor(
    private readonly producer: JobProducer,
    private readonly purge: PurgeHandler,
    private readonly sweeper: OutstandingSweeper,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const queue = this.producer.queue('maintenance');
    const schedules: Record<MaintenanceJob['task'], number> = {
      'purge-tombstones': 15 * 60_000,
      'sweep-outstanding': this.config.SWEEP_INTERVAL_SECONDS * 1000,
    };
    for (const [task, every] of Object.entries(schedules) as [MaintenanceJob['task'], number][]) {
      await queue.upsertJobScheduler(
        task,
        { every },
        { name: task, data: { v: 1, task, slot: 'scheduled' } satisfies MaintenanceJob },
      );
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
    }
  }
}
