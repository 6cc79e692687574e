import type { ServiceName } from './services';

/** Every BullMQ queue, with the one service that consumes it. */
export const QUEUE_CONSUMERS = {
  ingest: 'ingest',
  'vision-pass-1': 'vision-pass-1',
  'vision-pass-2': 'vision-pass-2',
  /** Removes a deleted item's objects and rows. */
  purge: 'ingest',
  /** Scheduled upkeep: sweep outstanding items, purge missed tombstones. */
  maintenance: 'ingest',
  /** One e-mail per job: the job names an `email_outbox` row. */
  notifications: 'notifications',
  /** E-mail batches: a broadcast's fan-out (P22) and the outbox sweep. */
  'email-batch': 'notifications',
  /** Apply one ledgered Stripe event (the job names its `billing_event` row). */
  'billing-events': 'billing',
  /** Billing upkeep: replay missed events, the nightly sweep against Stripe, record retention. */
  'billing-maintenance': 'billing',
} as const satisfies Record<string, ServiceName>;

export type QueueName = keyof typeof QUEUE_CONSUMERS;
export const QUEUE_NAMES = Object.keys(QUEUE_CONSUMERS) as QueueName[];

export function queuesConsumedBy(services: readonly ServiceName[]): QueueName[] {
  return QUEUE_NAMES.filter((q) => services.includes(QUEUE_CONSUMERS[q]));
}
