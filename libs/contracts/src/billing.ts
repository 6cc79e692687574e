import { z } from 'zod';

/**
 * Billing contracts: plans and their entitlements, the billing queues' payloads, and the
 * request/response messages the gateway (and the billing CLI) exchange with the billing service.
 * Only ids cross these boundaries; no payment data, no personal data.
 */

// ---------------------------------------------------------------------------------------------
// plans and entitlements

export interface PlanDefinition {
  /** Stable id, stored on usage rows and shown to owners. */
  id: string;
  /** As a person reads it ("Studio"). */
  name: string;
  /** The Stripe price `lookup_key` that buys this plan; null for the one free tier. */
  lookupKey: string | null;
  /** Photos analysed per billing period (the subscription's, or the calendar month in UTC on the free tier). */
  photosPerPeriod: number;
  /** Members of the org (users with any role). */
  members: number;
  /** Bytes of photos kept (masters and renditions). */
  storageBytes: number;
}

const GB = 1_000_000_000;

/** The plans when BILLING_PLANS does not say otherwise. */
export const DEFAULT_BILLING_PLANS: readonly PlanDefinition[] = [
  { id: 'free', name: 'Free', lookupKey: null, photosPerPeriod: 100, members: 3, storageBytes: 5 * GB },
  {
    id: 'studio',
    name: 'Studio',
    lookupKey: 'sessionpix_studio_monthly',
    photosPerPeriod: 5_000,
    members: 15,
    storageBytes: 250 * GB,
  },
  {
    id: 'facility',
    name: 'Facility',
    lookupKey: 'sessionpix_facility_monthly',
    photosPerPeriod: 50_000,
    members: 100,
    storageBytes: 2_000 * GB,
  },
];

const planSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'plan ids are 1–40 of a-z, 0-9, _ and -'),
  name: z.string().min(1).max(100),
  lookupKey: z.string().min(1).max(200).nullable(),
  photosPerPeriod: z.int().min(0),
  members: z.int().min(1),
  storageBytes: z.int().min(0),
});

/** A plan table: unique ids and lookup keys, and exactly one free tier (lookupKey null). */
export const planTableSchema = z
  .array(planSchema)
  .min(1)
  .superRefine((plans, ctx) => {
    const free = plans.filter((p) => p.lookupKey === null);
    if (free.length !== 1) ctx.addIssue({ code: 'custom', message: `exactly one plan has "lookupKey": null (the free tier); found ${free.length}` });
    for (const key of ['id', 'lookupKey'] as const) {
      const values = plans.map((p) => p[key]).filter((v) => v !== null);
      const dupes = values.filter((v, i) => values.indexOf(v) !== i);
      if (dupes.length > 0) ctx.addIssue({ code: 'custom', message: `duplicate ${key}: ${[...new Set(dupes)].join(', ')}` });
    }
  });

export function freePlan(plans: readonly PlanDefinition[]): PlanDefinition {
  const free = plans.find((p) => p.lookupKey === null);
  if (!free) throw new Error('the plan table has no free tier');
  return free;
}

export function planByLookupKey(plans: readonly PlanDefinition[], lookupKey: string | null | undefined): PlanDefinition | undefined {
  return lookupKey ? plans.find((p) => p.lookupKey === lookupKey) : undefined;
}

export function planById(plans: readonly PlanDefinition[], id: string): PlanDefinition | undefined {
  return plans.find((p) => p.id === id);
}

/**
 * What an org may do now. `full`: an active or trialing subscription; `grace`: past due, until
 * Stripe says unpaid or canceled; `revoked`: anything else after a subscription existed; `none`:
 * never subscribed. Only full and grace get the paid plan; the others fall back to the free
 * tier, and every org can always read and export its data.
 */
export const BILLING_ACCESS = ['none', 'full', 'grace', 'revoked'] as const;
export type BillingAccess = (typeof BILLING_ACCESS)[number];

/** Stripe subscription statuses → access (Stripe's own status strings). */
export function accessForSubscriptionStatus(status: string): BillingAccess {
  switch (status) {
    case 'active':
    case 'trialing':
      return 'full';
    case 'past_due':
      return 'grace';
    default:
      // unpaid, canceled, incomplete, incomplete_expired, paused, and anything Stripe adds later.
      return 'revoked';
  }
}

export function hasPaidAccess(access: BillingAccess): boolean {
  return access === 'full' || access === 'grace';
}

/** The calendar month (UTC) that contains `at`: the free tier's quota period. */
export function calendarMonthUtc(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end };
}

/** Why ingest refuses a photo over the plan's quota. */
export const PLAN_LIMIT_REASON_CODE = 'plan_limit';

/** P14: billing records are kept this long, even after the org is deleted. */
export const BILLING_RECORD_RETENTION_YEARS = 7;

/** Stripe keeps events this long; the replay alarms well before the cursor falls out of it. */
export const STRIPE_EVENT_RETENTION_DAYS = 30;
export const BILLING_REPLAY_CURSOR_ALARM_DAYS = 25;

/** Webhook signatures older than this are refused (Stripe's own default). */
export const STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

// ---------------------------------------------------------------------------------------------
// the event ledger

export const BILLING_EVENT_SOURCES = ['webhook', 'replay', 'sweep', 'manual'] as const;
export type BillingEventSource = (typeof BILLING_EVENT_SOURCES)[number];

/**
 * received → applied | ignored (a type billing does not act on) | unmatched (a customer no org
 * owns: recorded and reported, nothing applied) | failed (the error is kept; retried).
 */
export const BILLING_EVENT_STATUSES = ['received', 'applied', 'ignored', 'unmatched', 'failed'] as const;
export type BillingEventStatus = (typeof BILLING_EVENT_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// queue payloads (ids only)

/** Apply one ledgered Stripe event; `run` bumps when a replay or a retry re-enqueues it. */
export const billingEventJobSchema = z.strictObject({
  v: z.literal(1),
  ledgerId: z.uuid(),
  run: z.int().min(0),
});
export type BillingEventJob = z.infer<typeof billingEventJobSchema>;

export const BILLING_MAINTENANCE_TASKS = [
  /** Every 10 minutes: list Stripe's events since the cursor and ledger the missing ones. */
  'replay-events',
  /** Nightly: compare every org's subscription, invoices and payment method with Stripe. */
  'sweep',
  /** Daily: P14, remove billing records older than seven years, and report it. */
  'purge-records',
] as const;
export type BillingMaintenanceTask = (typeof BILLING_MAINTENANCE_TASKS)[number];

export const billingMaintenanceJobSchema = z.strictObject({
  v: z.literal(1),
  task: z.enum(BILLING_MAINTENANCE_TASKS),
  slot: z.string().min(1).max(64),
});
export type BillingMaintenanceJob = z.infer<typeof billingMaintenanceJobSchema>;

// ---------------------------------------------------------------------------------------------
// request/response with the billing service

const uuid = z.uuid();
const isoDate = z.iso.datetime();

/** Problems the billing service answers with instead of a result (the gateway maps them to HTTP). */
export const BILLING_RPC_ERROR_CODES = [
  'unknown_plan',
  'no_customer',
  'not_found',
  'invalid_request',
  'stripe_unavailable',
  'internal',
] as const;
export type BillingRpcErrorCode = (typeof BILLING_RPC_ERROR_CODES)[number];

export const billingRpcErrorSchema = z.strictObject({ code: z.enum(BILLING_RPC_ERROR_CODES), message: z.string() });
export type BillingRpcError = z.infer<typeof billingRpcErrorSchema>;

const entitlementsSchema = z.strictObject({
  planId: z.string(),
  planName: z.string(),
  access: z.enum(BILLING_ACCESS),
  periodStart: isoDate,
  periodEnd: isoDate,
  photosPerPeriod: z.int(),
  photosUsed: z.int(),
  members: z.int(),
  storageBytes: z.int(),
});
export type Entitlements = z.infer<typeof entitlementsSchema>;

export const billingStatusSchema = z.strictObject({
  entitlements: entitlementsSchema,
  subscription: z
    .strictObject({
      status: z.string(),
      cancelAtPeriodEnd: z.boolean(),
      currentPeriodEnd: isoDate.nullable(),
    })
    .nullable(),
  /** P5: the only payment details kept. */
  card: z.strictObject({ brand: z.string().nullable(), last4: z.string().nullable() }).nullable(),
  billingEmail: z.string().nullable(),
});
export type BillingStatus = z.infer<typeof billingStatusSchema>;

/** One RPC: its pattern (the message name), request and response. */
export interface RpcDefinition<Req extends z.ZodType, Res extends z.ZodType> {
  pattern: string;
  request: Req;
  response: Res;
  /** How long the caller waits for an answer by default. */
  timeoutMs: number;
}

function rpc<Req extends z.ZodType, Res extends z.ZodType>(
  pattern: string,
  request: Req,
  response: Res,
  timeoutMs: number,
): RpcDefinition<Req, Res> {
  return { pattern, request, response, timeoutMs };
}

export const BILLING_RPC = {
  /** An owner starts a Checkout Session (mode=subscription, client_reference_id = org). */
  checkout: rpc(
    'billing.checkout',
    z.strictObject({ orgId: uuid, userId: uuid.nullable(), planId: z.string().min(1).max(40) }),
    z.strictObject({ url: z.url(), sessionId: z.string() }),
    15_000,
  ),
  /** An owner opens the Customer Portal. */
  portal: rpc('billing.portal', z.strictObject({ orgId: uuid }), z.strictObject({ url: z.url() }), 15_000),
  /** The org's plan, access, usage and the card on file (brand and last four only). */
  status: rpc('billing.status', z.strictObject({ orgId: uuid }), billingStatusSchema, 10_000),
  /** The reconciliation report (structured, plus the table and CSV renderings). */
  report: rpc(
    'billing.report',
    z.strictObject({ from: isoDate, to: isoDate, actor: z.string().min(1).max(200) }),
    z.strictObject({ report: z.record(z.string(), z.unknown()), table: z.string(), csv: z.string() }),
    120_000,
  ),
  /** Re-fetch one event from Stripe and apply it again. */
  replayEvent: rpc(
    'billing.replay_event',
    z.strictObject({ eventId: z.string().regex(/^evt_[A-Za-z0-9_]+$/), actor: z.string().min(1).max(200) }),
    z.strictObject({ eventId: z.string(), ledgerId: uuid, status: z.enum(BILLING_EVENT_STATUSES), lastError: z.string().nullable() }),
    60_000,
  ),
  /** Compare one org with Stripe and heal what differs. */
  resyncOrg: rpc(
    'billing.resync_org',
    z.strictObject({ orgId: uuid, actor: z.string().min(1).max(200) }),
    z.strictObject({ orgId: uuid, drift: z.array(z.record(z.string(), z.unknown())) }),
    60_000,
  ),
} as const;

export type BillingRpcName = keyof typeof BILLING_RPC;
export type BillingRpcRequest<N extends BillingRpcName> = z.input<(typeof BILLING_RPC)[N]['request']>;
export type BillingRpcResponse<N extends BillingRpcName> = z.output<(typeof BILLING_RPC)[N]['response']>;
