import type { AppConfig } from '@sessionpix/config';
import type { QueueName } from '@sessionpix/contracts';

type ConcurrencyVariable = {
  [K in keyof AppConfig]-?: K extends `${string}_CONCURRENCY` ? K : never;
}[keyof AppConfig];

export interface QueueSettings {
  /** Jobs one worker process runs at once, unless `concurrencyVariable` overrides it. */
  concurrency: number;
  concurrencyVariable: ConcurrencyVariable;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delayMs: number };
  /** How long a worker holds a job before BullMQ thinks it stalled (renewed while running). */
  lockDurationMs: number;
  /** A handler still running after this is aborted and the attempt fails. */
  timeoutMs: number;
}

/**
 * One row per queue. `satisfies Record<QueueName, …>` makes a queue without settings a
 * compile error, and a row for a queue that no longer exists one too.
 */
export const QUEUE_SETTINGS = {
  ingest: {
    concurrency: 2,
    concurrencyVariable: 'INGEST_CONCURRENCY',
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
    lockDurationMs: 60_000,
    timeoutMs: 120_000,
  },
  'vision-pass-1': {
    concurrency: 8,
    concurrencyVariable: 'VISION_PASS1_CONCURRENCY',
    attempts: 6,
    backoff: { type: 'exponential', delayMs: 5_000 },
    lockDurationMs: 120_000,
    timeoutMs: 180_000,
  },
  'vision-pass-2': {
    concurrency: 8,
    concurrencyVariable: 'VISION_PASS2_CONCURRENCY',
    attempts: 6,
    backoff: { type: 'exponential', delayMs: 5_000 },
    lockDurationMs: 120_000,
    timeoutMs: 240_000,
  },
  purge: {
    concurrency: 2,
    concurrencyVariable: 'PURGE_CONCURRENCY',
    attempts: 8,
    backoff: { type: 'exponential', delayMs: 10_000 },
    lockDurationMs: 60_000,
    timeoutMs: 120_000,
  },
  maintenance: {
    concurrency: 1,
    concurrencyVariable: 'MAINTENANCE_CONCURRENCY',
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 30_000 },
    lockDurationMs: 300_000,
    timeoutMs: 900_000,
  },
  // One SES call per job. Transient SES errors (5xx, a refused connection) retry with backoff
  // for about 40 minutes; throttling pauses the queue instead of using attempts. The SES call
  // itself times out well inside timeoutMs.
  notifications: {
    concurrency: 8,
    concurrencyVariable: 'NOTIFICATIONS_CONCURRENCY',
    attempts: 8,
    backoff: { type: 'exponential', delayMs: 10_000 },
    lockDurationMs: 60_000,
    timeoutMs: 60_000,
  },
  // A broadcast run writes and enqueues outbox rows for a few minutes, then hands over to the next run.
  'email-batch': {
    concurrency: 2,
    concurrencyVariable: 'EMAIL_BATCH_CONCURRENCY',
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 10_000 },
    lockDurationMs: 60_000,
    timeoutMs: 600_000,
  },
  // One Stripe event per job: a re-fetch or two from Stripe inside one transaction. A Stripe
  // outage fails the attempt (the ledger keeps the error) and backs off for about an hour in all;
  // after that the replay job re-enqueues failed events every 10 minutes.
  'billing-events': {
    concurrency: 4,
    concurrencyVariable: 'BILLING_CONCURRENCY',
    attempts: 10,
    backoff: { type: 'exponential', delayMs: 5_000 },
    lockDurationMs: 60_000,
    timeoutMs: 60_000,
  },
  // Replay (every 10 minutes), the nightly sweep of every org, the P14 purge: one at a time.
  'billing-maintenance': {
    concurrency: 1,
    concurrencyVariable: 'MAINTENANCE_CONCURRENCY',
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 60_000 },
    lockDurationMs: 300_000,
    timeoutMs: 3_600_000,
  },
} as const satisfies Record<QueueName, QueueSettings>;

/**
 * The lock a worker holds on a running job (renewed at half of it while the job runs). A
 * worker that dies without closing keeps its jobs locked this long before another worker may
 * take them over, so QUEUE_LOCK_DURATION_MS can shorten it (tests, or a deployment that wants
 * faster takeover); unset, the table's value applies.
 */
export function effectiveLockDuration(queue: QueueName, config: AppConfig): number {
  return config.QUEUE_LOCK_DURATION_MS ?? QUEUE_SETTINGS[queue].lockDurationMs;
}

/** BullMQ's default stalled-job check (30 s), or every half lock when the lock is shorter. */
export function stalledCheckInterval(lockDurationMs: number): number {
  return Math.min(30_000, Math.floor(lockDurationMs / 2));
}

export function effectiveConcurrency(queue: QueueName, config: AppConfig): number {
  const settings: QueueSettings = QUEUE_SETTINGS[queue];
  return config[settings.concurrencyVariable] ?? settings.concurrency;
}
