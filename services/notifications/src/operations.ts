import type { AppConfig } from '@sessionpix/config';
import { EmailOutbox, emForSystem, type MikroORM } from '@sessionpix/db';
import { enqueueOutboxJob, JobProducer } from '@sessionpix/queue';
import { Redis } from 'ioredis';
import {
  broadcastProgress,
  pauseBroadcast,
  resumeBroadcast,
  startBroadcast,
  type BroadcastProgress,
} from './broadcasts';
import { wipeSecrets } from './outbox-sender';

export interface InDoubtEmail {
  id: string;
  templateId: string;
  recipient: string;
  createdAt: string;
  /** When the attempt that may have sent it began. */
  since: string;
  attempts: number;
  reason: string | null;
}

/**
 * What an operator does with e-mail from the admin CLI: list and settle in-doubt e-mails, and
 * start, pause, resume and follow broadcasts. It talks to PostgreSQL, and to Redis only to
 * enqueue (when Redis is out of reach the notifications sweep picks the work up).
 */
export class EmailOperations {
  private redis: Redis | null = null;
  private producer: JobProducer | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: AppConfig,
  ) {}

  private queues(): JobProducer {
    if (!this.producer) {
      // An operator's command fails rather than waits for ever when Redis is down.
      this.redis = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 5_000, connectionName: 'sessionpix:admin' });
      this.redis.on('error', () => undefined);
      this.producer = new JobProducer(this.redis, this.config);
    }
    return this.producer;
  }

  /** E-mails that may or may not have been sent (a crash mid-send), oldest first. */
  async inDoubt(limit = 100): Promise<InDoubtEmail[]> {
    const rows = await emForSystem(this.orm).find(
      EmailOutbox,
      { status: 'in_doubt' },
      { orderBy: { updatedAt: 'asc', id: 'asc' }, limit },
    );
    return rows.map((r) => ({
      id: r.id,
      templateId: r.templateId,
      recipient: r.recipient,
      createdAt: r.createdAt.toISOString(),
      since: r.updatedAt.toISOString(),
      attempts: r.attempts,
      reason: r.lastError ?? null,
    }));
  }

  /**
   * Settles an in-doubt e-mail once the operator knows (from SES's sending records, or the
   * recipient): `sent` records it as sent; `not-sent` puts it back in the queue.
   */
  async resolve(id: string, outcome: 'sent' | 'not-sent'): Promise<{ id: string; status: string; enqueued?: boolean }> {
    const em = emForSystem(this.orm);
    const row = await em.findOne(EmailOutbox, { id });
    if (!row) throw new Error(`no e-mail ${id} in the outbox`);
    if (row.status !== 'in_doubt') throw new Error(`e-mail ${id} is ${row.status}, not in_doubt`);
    if (outcome === 'sent') {
      const data = wipeSecrets(row.templateId, row.data);
      await em.nativeUpdate(
        EmailOutbox,
        { id, status: 'in_doubt' },
        { status: 'sent', outcome: 'sent-confirmed-by-operator', sentAt: row.updatedAt, data },
      );
      return { id, status: 'sent' };
    }
    await em.nativeUpdate(EmailOutbox, { id, status: 'in_doubt' }, { status: 'pending', outcome: null });
    const enqueued = await enqueueOutboxJob(this.queues(), id).then(
      () => true,
      () => false,
    );
    return { id, status: 'pending', enqueued };
  }

  /** P22: e-mails every active user the new effective date (once per effective date). */
  async announcePolicy(input: { effectiveDate: string; summary?: string; policyUrl: string }) {
    const { broadcast, created } = await startBroadcast(emForSystem(this.orm), this.queues(), {
      templateId: 'policy.change',
      shared: { effectiveDate: input.effectiveDate, policyUrl: input.policyUrl, ...(input.summary ? { summary: input.summary } : {}) },
      dedupeKey: `policy.change:${input.effectiveDate}`,
    });
    return { broadcastId: broadcast.id, created, status: broadcast.status, targets: broadcast.targets };
  }

  async pause(id: string): Promise<BroadcastProgress> {
    if (!(await pauseBroadcast(emForSystem(this.orm), id))) throw new Error(`no broadcast ${id}`);
    return (await this.progress(id))!;
  }

  async resume(id: string): Promise<BroadcastProgress> {
    if (!(await resumeBroadcast(emForSystem(this.orm), this.queues(), id))) throw new Error(`no broadcast ${id}`);
    return (await this.progress(id))!;
  }

  /** A broadcast's progress; the latest one without an id. */
  async progress(id?: string): Promise<BroadcastProgress | null> {
    return broadcastProgress(emForSystem(this.orm), id);
  }

  async close(): Promise<void> {
    await this.producer?.onApplicationShutdown().catch(() => undefined);
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
