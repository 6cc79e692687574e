import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { JOB_PAYLOAD_SCHEMAS, type JobPayload, type QueueName } from '@sessionpix/contracts';
import { JobProducer } from './producer';

/** Restoring a lost schedule waits at most this long, however rarely the schedule fires. */
const MAX_CHECK_MS = 60_000;

/**
 * Repeating jobs (BullMQ job schedulers) live in Redis, and Redis holds only work in flight: a
 * flush, or a failover to an empty replica, deletes them with everything else. Among them is
 * the sweep that re-enqueues the work such a loss drops, so a schedule registered only at
 * start-up would leave the lost work stranded until the next restart. A kept schedule is
 * registered now and looked for again on its own interval; when it is gone it is registered
 * anew, and BullMQ runs a new schedule's first job at once.
 */
@Injectable()
export class JobSchedules implements OnModuleDestroy {
  private readonly log = new Logger('JobSchedules');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly producer: JobProducer) {}

  async keep<Q extends QueueName>(queue: Q, schedulerId: string, everyMs: number, data: JobPayload<Q>): Promise<void> {
    const payload = JOB_PAYLOAD_SCHEMAS[queue].parse(data);
    const register = async () => {
      await this.producer.queue(queue).upsertJobScheduler(schedulerId, { every: everyMs }, { name: schedulerId, data: payload });
    };
    await register();
    const timer = setInterval(() => {
      this.restoreIfLost(queue, schedulerId, register).catch((err: unknown) =>
        this.log.warn(`checking the ${queue} schedule "${schedulerId}" failed: ${String(err)}`),
      );
    }, Math.min(everyMs, MAX_CHECK_MS));
    timer.unref();
    this.timers.push(timer);
  }

  private async restoreIfLost(queue: QueueName, schedulerId: string, register: () => Promise<void>): Promise<void> {
    if (await this.producer.queue(queue).getJobScheduler(schedulerId)) return;
    this.log.warn(`the ${queue} schedule "${schedulerId}" is gone from Redis (flushed?); registering it again`);
    await register();
  }

  onModuleDestroy(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
