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
} as const satisfies Record<string, ServiceName>;

export type QueueName = keyof typeof QUEUE_CONSUMERS;
export const QUEUE_NAMES = Object.keys(QUEUE_CONSUMERS) as QueueName[];

export function queuesConsumedBy(services: readonly ServiceName[]): QueueName[] {
  return QUEUE_NAMES.filter((q) => services.includes(QUEUE_CONSUMERS[q]));
}
