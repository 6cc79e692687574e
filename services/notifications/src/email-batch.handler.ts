import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { EmailBatchJob } from '@sessionpix/contracts';
import { type JobContext, JobHandler, JobProducer, JobSchedules } from '@sessionpix/queue';
import { Broadcasts } from './broadcasts';
import { OutboxSweeper } from './outbox-sweeper';

/**
 * The `email-batch` queue: broadcast runs (P22) and the outbox sweep, kept on a schedule in
 * Redis (restored when a flush takes it) and run once at start-up.
 */
@Injectable()
export class EmailBatchHandler implements OnApplicationBootstrap {
  constructor(
    private readonly broadcasts: Broadcasts,
    private readonly sweeper: OutboxSweeper,
    private readonly schedules: JobSchedules,
    private readonly producer: JobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.schedules.keep('email-batch', 'sweep-outbox', this.config.SWEEP_INTERVAL_SECONDS * 1000, {
      v: 1,
      task: 'sweep-outbox',
      slot: 'scheduled',
    });
    await this.producer.enqueue('email-batch', {
      v: 1,
      task: 'sweep-outbox',
      slot: `startup-${new Date().toISOString().slice(0, 16)}`,
    });
  }

  @JobHandler('email-batch')
  async run(job: EmailBatchJob, ctx: JobContext): Promise<string> {
    if (job.task === 'broadcast') return this.broadcasts.advance(job.broadcastId, job.run, ctx);
    const report = await this.sweeper.sweep(this.config.SWEEP_GRACE_SECONDS * 1000);
    return `re-enqueued ${report.requeued}, in doubt ${report.inDoubt}, broadcasts resumed ${report.broadcastsResumed}`;
  }
}
