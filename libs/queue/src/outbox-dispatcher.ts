import { Injectable, Logger } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import { JobProducer } from './producer';

/**
 * An e-mail job is removed once it completes: the outbox row's status, not the job, says whether
 * the e-mail went, so the id is free again for a row that must be picked up anew (a resumed
 * broadcast, a row an operator re-queued). A failed job stays, as every queue's do.
 */
export const OUTBOX_JOB_OPTIONS: JobsOptions = { removeOnComplete: true };
const BULK = 500;

/** Enqueues the job for one outbox row (job id `notifications-{outboxId}`). */
export function enqueueOutboxJob(producer: JobProducer, outboxId: string): Promise<string> {
  return producer.enqueue('notifications', { v: 1, outboxId }, OUTBOX_JOB_OPTIONS);
}

/**
 * The after-commit half of the e-mail outbox: `OutboxWriter.queueEmail` writes rows inside the
 * caller's transaction, and once that transaction has committed the caller hands the ids here.
 * It never throws: the change is committed and the request has succeeded, and a row whose job
 * could not be added is still `pending` — the notifications service's sweeper enqueues it after
 * a grace period. Nothing is lost when a process dies between the commit and this call.
 */
@Injectable()
export class OutboxDispatcher {
  private readonly log = new Logger('OutboxDispatcher');

  constructor(private readonly producer: JobProducer) {}

  async dispatch(ids: Iterable<string | null | undefined>): Promise<number> {
    // A dedupe key that already had a row gave no id: nothing new to send.
    const fresh = [...new Set([...ids].filter((id): id is string => Boolean(id)))];
    let enqueued = 0;
    for (let at = 0; at < fresh.length; at += BULK) {
      const chunk = fresh.slice(at, at + BULK);
      try {
        // One round trip for a batch (a broadcast); the same job ids as one at a time.
        await this.producer.enqueueMany(
          'notifications',
          chunk.map((outboxId) => ({ v: 1 as const, outboxId })),
          OUTBOX_JOB_OPTIONS,
        );
        enqueued += chunk.length;
      } catch (err) {
        this.log.warn(`${chunk.length} e-mail(s) committed but not enqueued (the outbox sweep will send them): ${String(err)}`);
      }
    }
    return enqueued;
  }
}
