import { Inject, Injectable, Logger } from '@nestjs/common';
import { EMAIL_TEMPLATES, jobIdFor, type EmailTemplateData } from '@sessionpix/contracts';
import { EmailBroadcast, emForSystem, type EntityManager, MikroORM, OutboxWriter } from '@sessionpix/db';
import { type JobContext, JobProducer, LIVE_JOB_STATES, OutboxDispatcher } from '@sessionpix/queue';

/** Rows written per transaction. */
export const BROADCAST_BATCH = 250;
/**
 * At most this many of a broadcast's rows wait to be sent at once: the fan-out keeps pace with
 * the send rate instead of filling Redis with a job per user, and a pause stops the sending
 * within one window.
 */
export const BROADCAST_WINDOW = 1_000;
/** A run hands over to the next one after this long (well inside the queue's job timeout). */
const RUN_BUDGET_MS = 4 * 60_000;
const POLL_MS = 250;


export interface BroadcastProgress {
  id: string;
  templateId: string;
  status: EmailBroadcast['status'];
  createdAt: string;
  completedAt: string | null;
  /** Active users when it began. */
  targets: number;
  /** Outbox rows written so far (one per user reached). */
  rows: number;
  /** Rows by outbox status: sent, pending, sending, suppressed, failed, rejected, in_doubt. */
  byStatus: Record<string, number>;
}

/** The recipient's share of a broadcast: the template's data less what every row shares. */
type SharedData<T extends keyof typeof EMAIL_TEMPLATES> = Omit<EmailTemplateData<T>, 'name'>;

/** The users a broadcast reaches: not deleted, address confirmed. */
const ACTIVE_USERS = `"deleted_at" is null and "email_verified_at" is not null`;

/**
 * Broadcasts (P22): one e-mail to every active user, as a batch job that can be paused and
 * resumed and reports its progress. State lives in `email_broadcast`; each `email-batch` job
 * (`broadcast`, with a run number) writes outbox rows a batch at a time, in user-id order
 * (`cursor`), enqueues them after each commit, and keeps at most BROADCAST_WINDOW of them
 * outstanding. One outbox row per user and broadcast (dedupe key) makes every user's e-mail
 * exactly one, however often a run restarts.
 */
@Injectable()
export class Broadcasts {
  private readonly log = new Logger('Broadcasts');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly outbox: OutboxWriter,
    private readonly mail: OutboxDispatcher,
    private readonly producer: JobProducer,
  ) {}

  /** Moves a broadcast on for one run; returns what it did. */
  async advance(broadcastId: string, run: number, ctx?: Pick<JobContext, 'signal'>): Promise<string> {
    const deadline = Date.now() + RUN_BUDGET_MS;
    let written = 0;
    let resent = false;
    for (;;) {
      ctx?.signal.throwIfAborted();
      const em = emForSystem(this.orm);
      const b = await em.findOne(EmailBroadcast, { id: broadcastId });
      if (!b) return 'no such broadcast';
      if (b.run !== run) return `superseded by run ${b.run}`;
      if (b.status !== 'running') return `${b.status}; wrote ${written} row(s) in this run`;
      if (!resent) {
        // A run that follows a pause (or a lost run) first re-enqueues the rows that waited.
        resent = true;
        const waiting = await em.execute<{ id: string }[]>(
          `select "id" from "email_outbox" where "broadcast_id" = ? and "status" = 'pending'`,
          [broadcastId],
          'all',
        );
        await this.mail.dispatch(waiting.map((r) => r.id));
      }
      const outstanding = await this.outstanding(em, broadcastId);
      if (!b.exhausted && outstanding < BROADCAST_WINDOW) {
        const ids = await this.writeBatch(broadcastId, run, Math.min(BROADCAST_BATCH, BROADCAST_WINDOW - outstanding));
        if (ids === null) continue; // paused or superseded meanwhile: the next pass says which
        written += ids.length;
        await this.mail.dispatch(ids);
        continue;
      }
      if (b.exhausted && outstanding === 0) {
        await em.nativeUpdate(
          EmailBroadcast,
          { id: broadcastId, run, status: 'running' },
          { status: 'completed', completedAt: new Date() },
        );
        this.log.log(`broadcast ${broadcastId} completed: ${b.rowsWritten} e-mail(s)`);
        return `completed; wrote ${written} row(s) in this run`;
      }
      if (Date.now() > deadline) return this.handOver(broadcastId, run, written);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async outstanding(em: EntityManager, broadcastId: string): Promise<number> {
    const [{ n }] = await em.execute<{ n: number }[]>(
      `select count(*)::int as "n" from "email_outbox" where "broadcast_id" = ? and "status" in ('pending', 'sending')`,
      [broadcastId],
      'all',
    );
    return n;
  }

  /**
   * The next users' rows, in one transaction with the cursor: null when the broadcast is no
   * longer this run's to move (paused, resumed elsewhere).
   */
  private async writeBatch(broadcastId: string, run: number, size: number): Promise<string[] | null> {
    return emForSystem(this.orm).transactional(async (tx) => {
      const [b] = await tx.execute<{ status: string; run: number; cursor: string | null; template_id: string; data: Record<string, unknown> }[]>(
        `select "status", "run", "cursor", "template_id", "data" from "email_broadcast" where "id" = ? for update`,
        [broadcastId],
        'all',
      );
      if (!b || b.status !== 'running' || b.run !== run) return null;
      const users = await tx.execute<{ id: string; email: string; name: string }[]>(
        `select "id", "email", "name" from "user_account" where ${ACTIVE_USERS}
           ${b.cursor ? 'and "id" > ?' : ''} order by "id" limit ?`,
        b.cursor ? [b.cursor, size] : [size],
        'all',
      );
      const ids: string[] = [];
      for (const user of users) {
        const queued = await this.outbox.queueEmail(tx, {
          templateId: b.template_id as 'policy.change',
          to: user.email,
          data: { ...(b.data as SharedData<'policy.change'>), name: user.name.trim().slice(0, 200) || 'there' },
          dedupeKey: `broadcast:${broadcastId}:${user.id}`,
          broadcastId,
        });
        if (queued.id) ids.push(queued.id);
      }
      await tx.execute(
        `update "email_broadcast" set "cursor" = coalesce(?, "cursor"), "rows_written" = "rows_written" + ?,
           "exhausted" = ?, "updated_at" = ? where "id" = ?`,
        [users.length > 0 ? users[users.length - 1].id : null, ids.length, users.length < size, new Date(), broadcastId],
        'run',
      );
      return ids;
    });
  }

  /** The next run continues (a long broadcast is many jobs, none of them near the timeout). */
  private async handOver(broadcastId: string, run: number, written: number): Promise<string> {
    if (await this.claimRun(emForSystem(this.orm), broadcastId, run)) {
      await this.producer.enqueue('email-batch', { v: 1, task: 'broadcast', broadcastId, run: run + 1 });
    }
    return `handed over to run ${run + 1}; wrote ${written} row(s) in this run`;
  }

  private async claimRun(em: EntityManager, broadcastId: string, run: number): Promise<boolean> {
    return (await em.nativeUpdate(EmailBroadcast, { id: broadcastId, run, status: 'running' }, { run: run + 1 })) > 0;
  }

  /** Sweep: a running broadcast whose current run has no live job gets a fresh run. */
  async resumeLost(): Promise<number> {
    const em = emForSystem(this.orm);
    const running = await em.find(EmailBroadcast, { status: 'running' });
    let resumed = 0;
    for (const b of running) {
      const payload = { v: 1 as const, task: 'broadcast' as const, broadcastId: b.id, run: b.run };
      const job = await this.producer.queue('email-batch').getJob(jobIdFor('email-batch', payload));
      if (job && LIVE_JOB_STATES.has(await job.getState())) continue;
      if (!(await this.claimRun(em, b.id, b.run))) continue;
      await this.producer.enqueue('email-batch', { ...payload, run: b.run + 1 });
      resumed += 1;
    }
    return resumed;
  }
}

/**
 * Operator actions on broadcasts, used by the admin CLI: they change the database and enqueue
 * the run that moves a broadcast on (when Redis is unreachable, the notifications sweep starts
 * it within SWEEP_INTERVAL_SECONDS).
 */
export async function startBroadcast(
  em: EntityManager,
  producer: JobProducer,
  input: { templateId: 'policy.change'; shared: SharedData<'policy.change'>; dedupeKey: string },
): Promise<{ broadcast: EmailBroadcast; created: boolean }> {
  // Validate the shared data with a placeholder name now, not a batch at a time later.
  const check = EMAIL_TEMPLATES[input.templateId].data.safeParse({ ...input.shared, name: 'check' });
  if (!check.success) {
    throw new Error(`invalid ${input.templateId} data: ${check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const existing = await em.findOne(EmailBroadcast, { dedupeKey: input.dedupeKey });
  if (existing) return { broadcast: existing, created: false };
  const [{ n }] = await em.execute<{ n: number }[]>(`select count(*)::int as "n" from "user_account" where ${ACTIVE_USERS}`, [], 'all');
  const broadcast = em.create(EmailBroadcast, {
    templateId: input.templateId,
    data: input.shared as Record<string, unknown>,
    dedupeKey: input.dedupeKey,
    status: 'running',
    targets: n,
  });
  await em.flush();
  await producer
    .enqueue('email-batch', { v: 1, task: 'broadcast', broadcastId: broadcast.id, run: broadcast.run })
    .catch(() => undefined); // the sweep starts it
  return { broadcast, created: true };
}

export async function pauseBroadcast(em: EntityManager, id: string): Promise<EmailBroadcast | null> {
  await em.nativeUpdate(EmailBroadcast, { id, status: 'running' }, { status: 'paused' });
  return em.findOne(EmailBroadcast, { id }, { refresh: true });
}

export async function resumeBroadcast(em: EntityManager, producer: JobProducer, id: string): Promise<EmailBroadcast | null> {
  const rows = await em.execute<{ run: number }[]>(
    `update "email_broadcast" set "status" = 'running', "run" = "run" + 1, "updated_at" = ?
     where "id" = ? and "status" = 'paused' returning "run"`,
    [new Date(), id],
    'all',
  );
  if (rows.length > 0) {
    await producer.enqueue('email-batch', { v: 1, task: 'broadcast', broadcastId: id, run: rows[0].run }).catch(() => undefined);
  }
  return em.findOne(EmailBroadcast, { id }, { refresh: true });
}

export async function broadcastProgress(em: EntityManager, id?: string): Promise<BroadcastProgress | null> {
  const b = id
    ? await em.findOne(EmailBroadcast, { id })
    : (await em.find(EmailBroadcast, {}, { orderBy: { createdAt: 'desc' }, limit: 1 }))[0] ?? null;
  if (!b) return null;
  const counts = await em.execute<{ status: string; n: number }[]>(
    `select "status", count(*)::int as "n" from "email_outbox" where "broadcast_id" = ? group by "status"`,
    [b.id],
    'all',
  );
  const byStatus: Record<string, number> = { sent: 0, pending: 0, sending: 0, suppressed: 0, failed: 0, rejected: 0, in_doubt: 0 };
  for (const c of counts) byStatus[c.status] = c.n;
  return {
    id: b.id,
    templateId: b.templateId,
    status: b.status,
    createdAt: b.createdAt.toISOString(),
    completedAt: b.completedAt?.toISOString() ?? null,
    targets: b.targets,
    rows: b.rowsWritten,
    byStatus,
  };
}
