import { z } from 'zod';
import { billingEventJobSchema, billingMaintenanceJobSchema } from './billing';
import type { QueueName } from './queues';

/**
 * Job payloads are versioned envelopes of ids only: never a blob, a secret or personal data.
 * What a job needs lives in a database row it loads.
 */
export const itemJobSchema = z.strictObject({
  v: z.literal(1),
  orgId: z.uuid(),
  itemId: z.uuid(),
  run: z.int().min(0),
});
export type ItemJob = z.infer<typeof itemJobSchema>;

export const maintenanceJobSchema = z.strictObject({
  v: z.literal(1),
  task: z.enum([
    'purge-tombstones',
    'sweep-outstanding',
    /** P8: fold finished days of the usage log into per-day feature counts. */
    'aggregate-usage',
    /** P6: delete usage-log rows older than 90 days (aggregated first). */
    'purge-usage-logs',
  ]),
  /** Schedules fire repeatedly; the slot (ISO minute) makes each firing's job id unique. */
  slot: z.string().min(1).max(64),
});
export type MaintenanceJob = z.infer<typeof maintenanceJobSchema>;

/** One e-mail: the job names its `email_outbox` row, which holds template, recipient and data. */
export const outboxJobSchema = z.strictObject({
  v: z.literal(1),
  outboxId: z.uuid(),
});
export type OutboxJob = z.infer<typeof outboxJobSchema>;

/**
 * E-mail batches. `broadcast` moves a broadcast (P22) on: it writes the next outbox rows and
 * enqueues them; each run is one job, and `run` bumps for the next one (a resume, a sweep).
 * `sweep-outbox` enqueues e-mails the database says are pending but no queue holds.
 */
export const emailBatchJobSchema = z.discriminatedUnion('task', [
  z.strictObject({ v: z.literal(1), task: z.literal('broadcast'), broadcastId: z.uuid(), run: z.int().min(0) }),
  z.strictObject({ v: z.literal(1), task: z.literal('sweep-outbox'), slot: z.string().min(1).max(64) }),
]);
export type EmailBatchJob = z.infer<typeof emailBatchJobSchema>;

/** The payload schema of each queue; a queue without one does not compile. */
export const JOB_PAYLOAD_SCHEMAS = {
  ingest: itemJobSchema,
  'vision-pass-1': itemJobSchema,
  'vision-pass-2': itemJobSchema,
  purge: itemJobSchema,
  maintenance: maintenanceJobSchema,
  notifications: outboxJobSchema,
  'email-batch': emailBatchJobSchema,
  'billing-events': billingEventJobSchema,
  'billing-maintenance': billingMaintenanceJobSchema,
} as const satisfies Record<QueueName, z.ZodType>;

export type JobPayload<Q extends QueueName> = z.infer<(typeof JOB_PAYLOAD_SCHEMAS)[Q]>;

/**
 * Deterministic job ids. BullMQ refuses ':' in custom ids and ignores an add whose id it
 * still keeps, so a retry or a sweep bumps `run` to get a fresh id.
 */
export function jobIdFor<Q extends QueueName>(queue: Q, payload: JobPayload<Q>): string {
  if ('itemId' in payload) return `${queue}-${payload.itemId}-${payload.run}`;
  // An e-mail is sent once whatever enqueues it (the caller after its commit, or the sweeper).
  if ('outboxId' in payload) return `${queue}-${payload.outboxId}`;
  // A ledgered Stripe event; a replay or a retry after the attempts ran out bumps `run`.
  if ('ledgerId' in payload) return `${queue}-${payload.ledgerId}-${payload.run}`;
  if ('broadcastId' in payload) return `${queue}-${payload.task}-${payload.broadcastId}-${payload.run}`;
  return `${queue}-${payload.task}-${payload.slot.replace(/:/g, '')}`;
}
