import { z } from 'zod';
import { ITEM_STATUSES } from './items';

/** Redis pub/sub channel that carries domain events from any process to the gateway. */
export const DOMAIN_EVENTS_CHANNEL = 'sessionpix:domain-events';

export const itemStatusChangedSchema = z.strictObject({
  type: z.literal('item.status_changed'),
  orgId: z.uuid(),
  collectionId: z.uuid(),
  itemId: z.uuid(),
  status: z.enum(ITEM_STATUSES),
  reasonCode: z.string().nullable(),
  at: z.iso.datetime(),
});
export type ItemStatusChanged = z.infer<typeof itemStatusChangedSchema>;

export const domainEventSchema = z.discriminatedUnion('type', [itemStatusChangedSchema]);
export type DomainEvent = z.infer<typeof domainEventSchema>;
