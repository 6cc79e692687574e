import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BillingEventSource, BillingEventStatus } from '@sessionpix/contracts';
import { uuidv7 } from './entities/base';

/**
 * The Stripe event ledger, written by the gateway (webhooks) and the billing service (replay,
 * sweep, an operator's replay): one row per event id. P5: the row holds what the event is about
 * (type, API version, the object's id and type, the customer's id, when Stripe created it), where
 * it came from, what became of it, and the SHA-256 of the payload — never the payload itself.
 * Events are notifications: the billing worker re-fetches the object from Stripe to apply it.
 */

/** The fields of a Stripe event the ledger reads; everything else in it is ignored. */
export interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  api_version?: string | null;
  data?: { object?: unknown };
}

export interface LedgerMeta {
  stripeEventId: string;
  type: string;
  apiVersion: string | null;
  objectId: string | null;
  objectType: string | null;
  stripeCustomerId: string | null;
  stripeCreatedAt: Date;
  payloadSha256: string;
}

export interface LedgerEntry {
  id: string;
  /** False when the event id was already in the ledger (a duplicate delivery or an overlap). */
  inserted: boolean;
  status: BillingEventStatus;
  run: number;
}

const EVENT_ID = /^evt_[A-Za-z0-9_]{1,255}$/;
const STRIPE_ID = /^[a-z]{1,8}_[A-Za-z0-9_]{1,255}$/;

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return STRIPE_ID.test(value) ? value : null;
  if (value && typeof value === 'object' && 'id' in value) return idOf((value as { id: unknown }).id);
  return null;
}

export function sha256Hex(payload: string | Buffer): string {
  return createHash('sha256').update(payload).digest('hex');
}

/** What the ledger keeps of an event; `payload` is the exact bytes received (or listed). */
export function ledgerMetaOf(event: StripeEventLike, payload: string | Buffer): LedgerMeta {
  if (!EVENT_ID.test(event.id)) throw new Error('not a Stripe event id');
  const object = (event.data?.object ?? null) as Record<string, unknown> | null;
  const objectId = object ? idOf(object.id) : null;
  const objectType = object && typeof object.object === 'string' ? object.object.slice(0, 100) : null;
  const customer = objectType === 'customer' ? objectId : object ? idOf(object.customer) : null;
  return {
    stripeEventId: event.id,
    type: String(event.type).slice(0, 200),
    apiVersion: typeof event.api_version === 'string' ? event.api_version.slice(0, 100) : null,
    objectId,
    objectType,
    stripeCustomerId: customer && customer.startsWith('cus_') ? customer : null,
    stripeCreatedAt: new Date(event.created * 1000),
    payloadSha256: sha256Hex(payload),
  };
}

/**
 * Adds the event to the ledger unless its id is there already; either way returns the row's id,
 * status and run. One statement: concurrent deliveries of one event make one row.
 */
export async function recordStripeEvent(em: EntityManager, meta: LedgerMeta, source: BillingEventSource): Promise<LedgerEntry> {
  const now = new Date();
  const inserted = await em.execute<{ id: string; status: BillingEventStatus; run: number }[]>(
    `insert into "billing_event"
       ("id", "received_at", "updated_at", "stripe_event_id", "type", "api_version", "object_id", "object_type",
        "stripe_customer_id", "stripe_created_at", "source", "status", "attempts", "run", "payload_sha256")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', 0, 0, ?)
     on conflict ("stripe_event_id") do nothing
     returning "id", "status", "run"`,
    [
      uuidv7(),
      now,
      now,
      meta.stripeEventId,
      meta.type,
      meta.apiVersion,
      meta.objectId,
      meta.objectType,
      meta.stripeCustomerId,
      meta.stripeCreatedAt,
      source,
      meta.payloadSha256,
    ],
    'all',
  );
  if (inserted.length > 0) return { ...inserted[0], inserted: true };
  const [existing] = await em.execute<{ id: string; status: BillingEventStatus; run: number }[]>(
    `select "id", "status", "run" from "billing_event" where "stripe_event_id" = ?`,
    [meta.stripeEventId],
    'all',
  );
  return { ...existing, inserted: false };
}
