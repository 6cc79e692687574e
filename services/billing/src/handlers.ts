import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { BillingEventJob, BillingMaintenanceJob, BillingMaintenanceTask } from '@sessionpix/contracts';
import { emForSystem, MikroORM } from '@sessionpix/db';
import { JobHandler, JobSchedules } from '@sessionpix/queue';
import { EventApplier } from './apply';
import { Reconciler } from './reconcile';
import { purgeBillingRecords } from './retention';

/** How often each upkeep task runs (BullMQ job schedulers: once per interval across replicas). */
export const BILLING_SCHEDULES: Record<BillingMaintenanceTask, number> = {
  'replay-events': 10 * 60_000,
  sweep: 24 * 3600_000,
  'purge-records': 24 * 3600_000,
};

@Injectable()
export class BillingEventsHandler {
  constructor(private readonly applier: EventApplier) {}

  /** One ledgered Stripe event; a throw (Stripe down, a crash) leaves it failed and retries it. */
  @JobHandler('billing-events')
  async handle(job: BillingEventJob): Promise<string> {
    const result = await this.applier.apply(job.ledgerId);
    return `${result.status}: ${result.detail}`;
  }
}

@Injectable()
export class BillingMaintenanceHandler implements OnApplicationBootstrap {
  private readonly log = new Logger('BillingMaintenance');

  constructor(
    private readonly schedules: JobSchedules,
    private readonly reconciler: Reconciler,
    @Inject(MikroORM) private readonly orm: MikroORM,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Kept, not just registered: a Redis flush that loses them is repaired without a restart.
    for (const [task, every] of Object.entries(BILLING_SCHEDULES) as [BillingMaintenanceTask, number][]) {
      await this.schedules.keep('billing-maintenance', `billing-${task}`, every, { v: 1, task, slot: 'scheduled' });
    }
  }

  @JobHandler('billing-maintenance')
  async run(job: BillingMaintenanceJob): Promise<string> {
    switch (job.task) {
      case 'replay-events': {
        const r = await this.reconciler.replay();
        return `listed ${r.listed}, ledgered ${r.inserted} missed event(s), re-enqueued ${r.requeued}${r.alarm ? ' — CURSOR ALARM' : ''}`;
      }
      case 'sweep': {
        const r = await this.reconciler.sweep();
        return `swept ${r.orgs} org(s): ${r.drift} difference(s) healed, ${r.failed} failed`;
      }
      case 'purge-records': {
        const r = await purgeBillingRecords(emForSystem(this.orm));
        const total = Object.values(r.removed).reduce((a, b) => a + b, 0);
        if (total > 0) this.log.log(`P14: removed ${total} billing record(s) older than ${r.cutoff}: ${JSON.stringify(r.removed)}`);
        return `removed ${total} billing record(s) older than ${r.cutoff}`;
      }
    }
  }
}
