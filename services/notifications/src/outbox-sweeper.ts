import { Inject, Injectable, Logger } from '@nestjs/common';
import { jobIdFor } from '@sessionpix/contracts';
import { emForSystem, MikroORM } from '@sessionpix/db';
import { enqueueOutboxJob, JobProducer, LIVE_JOB_STATES } from '@sessionpix/queue';
import { Broadcasts } from './broadcasts';
import { markInDoubt } from './outbox-sender';

const BATCH = 500;

export interface OutboxSweepReport {
  /** Pending rows no queue held, enqueued again. */
  requeued: number;
  /** Rows left in `sending` with no job working on them: now in doubt. */
  inDoubt: number;
  /** Running broadcasts whose run had no job, given a fresh one. */
  broadcastsResumed: number;
}

/**
 * PostgreSQL says what is outstanding; Redis only holds work in flight. Enqueueing after the
 * commit can be lost (a process dies in between, Redis is flushed), so every
 * SWEEP_INTERVAL_SECONDS this finds, among rows older than SWEEP_GRACE_SECONDS:
 *  - `pending` rows whose job is not live → enqueued again (rows of a paused broadcast wait);
 *  - `sending` rows whose job is not live → `in_doubt` (SES may have sent them: not resent);
 *  - running broadcasts whose current run has no job → the next run.
 * Jobs are looked up by their deterministic ids, never by scanning a queue.
 */
@Injectable()
export class OutboxSweeper {
  private readonly log = new Logger('OutboxSweeper');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly producer: JobProducer,
    private readonly broadcasts: Broadcasts,
  ) {}

  async sweep(graceMs: number): Promise<OutboxSweepReport> {
    const em = emForSystem(this.orm);
    const cutoff = new Date(Date.now() - graceMs);
    const queue = this.producer.queue('notifications');
    let requeued = 0;
    let inDoubt = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await em.execute<{ id: string; status: 'pending' | 'sending' }[]>(
        `select o."id", o."status" from "email_outbox" o
           left join "email_broadcast" b on b."id" = o."broadcast_id"
         where o."status" in ('pending', 'sending') and o."updated_at" <= ? and o."id" > ?
           and (o."status" = 'sending' or b."id" is null or b."status" in ('running', 'completed'))
         order by o."id" limit ?`,
        [cutoff, after, BATCH],
        'all',
      );
      for (const row of rows) {
        const job = await queue.getJob(jobIdFor('notifications', { v: 1, outboxId: row.id }));
        const state = job ? await job.getState() : null;
        if (state && LIVE_JOB_STATES.has(state)) continue;
        if (row.status === 'sending') {
          if (await markInDoubt(em, row.id, 'found in sending with no job working on it (a crash, or a lost job)')) inDoubt += 1;
          continue;
        }
        // A failed job keeps its id: make room for the new one.
        if (job) await job.remove().catch(() => undefined);
        await enqueueOutboxJob(this.producer, row.id);
        requeued += 1;
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1].id;
    }
    const broadcastsResumed = await this.broadcasts.resumeLost();
    if (requeued + inDoubt + broadcastsResumed > 0) {
      this.log.warn(`outbox sweep: re-enqueued ${requeued}, in doubt ${inDoubt}, broadcasts resumed ${broadcastsResumed}`);
    }
    return { requeued, inDoubt, broadcastsResumed };
  }
}
