import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import {
  BILLING_ACCESS,
  BILLING_EVENT_SOURCES,
  BILLING_EVENT_STATUSES,
  type BillingAccess,
  type BillingEventSource,
  type BillingEventStatus,
} from '@sessionpix/contracts';
import { BaseEntity, uuidv7 } from './base';

/*
 * Billing records. None has a relation to Organization: they outlive the org for seven years
 * (P14). They are read and written by the billing service (and the billing CLI) across orgs,
 * always naming the org explicitly, never through a request's tenant-filtered unit of work.
 * P5: of Stripe's objects only ids, statuses, periods and integer minor-unit amounts are kept,
 * and of the customer only its id, card brand, card last four and billing e-mail.
 */

const bigint = () => new BigIntType('number');

/** One per org: its Stripe customer, the card on file (brand, last four), access and plan. */
@Entity({ tableName: 'billing_account' })
export class BillingAccount extends BaseEntity<
  | 'stripeCustomerId'
  | 'billingEmail'
  | 'cardBrand'
  | 'cardLast4'
  | 'defaultPaymentMethodId'
  | 'access'
  | 'planId'
  | 'stripeSubscriptionId'
  | 'periodStart'
  | 'periodEnd'
  | 'customerDeletedAt'
  | 'syncedAt'
> {
  @Property({ type: 'uuid', unique: true })
  orgId!: string;

  @Property({ type: 'text', nullable: true, unique: true })
  stripeCustomerId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  billingEmail?: string | null = null;

  @Property({ type: 'text', nullable: true })
  cardBrand?: string | null = null;

  @Property({ type: 'text', nullable: true })
  cardLast4?: string | null = null;

  @Property({ type: 'text', nullable: true })
  defaultPaymentMethodId?: string | null = null;

  @Enum({ items: () => [...BILLING_ACCESS], type: 'text' })
  access: BillingAccess = 'none';

  /** The paid plan the subscription's price names; the free tier applies without paid access. */
  @Property({ type: 'text', nullable: true })
  planId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  stripeSubscriptionId?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  periodStart?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  periodEnd?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  customerDeletedAt?: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  syncedAt?: Date | null = null;
}

@Entity({ tableName: 'billing_subscription' })
export class BillingSubscription extends BaseEntity {
  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null;

  @Property({ type: 'text', unique: true })
  stripeSubscriptionId!: string;

  @Property({ type: 'text' })
  stripeCustomerId!: string;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text', nullable: true })
  priceId?: string | null;

  @Property({ type: 'text', nullable: true })
  priceLookupKey?: string | null;

  @Property({ type: 'text', nullable: true })
  planId?: string | null;

  @Property({ type: 'text', nullable: true })
  currency?: string | null;

  @Property({ type: bigint(), nullable: true })
  unitAmount?: number | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  currentPeriodStart?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  currentPeriodEnd?: Date | null;

  @Property({ type: 'boolean' })
  cancelAtPeriodEnd!: boolean;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  cancelAt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  canceledAt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  stripeCreatedAt!: Date;
}

@Entity({ tableName: 'billing_invoice' })
export class BillingInvoice extends BaseEntity {
  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null;

  @Property({ type: 'text', unique: true })
  stripeInvoiceId!: string;

  @Property({ type: 'text' })
  stripeCustomerId!: string;

  @Property({ type: 'text', nullable: true })
  stripeSubscriptionId?: string | null;

  @Property({ type: 'text', nullable: true })
  number?: string | null;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text', nullable: true })
  billingReason?: string | null;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: bigint() })
  amountDue!: number;

  @Property({ type: bigint() })
  amountPaid!: number;

  @Property({ type: bigint() })
  amountRemaining!: number;

  @Property({ type: bigint() })
  total!: number;

  @Property({ type: 'integer' })
  attemptCount!: number;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  nextPaymentAttempt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  periodStart?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  periodEnd?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  paidAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  paymentIntentId?: string | null;

  @Property({ type: 'text', nullable: true })
  chargeId?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  stripeCreatedAt!: Date;
}

@Entity({ tableName: 'billing_refund' })
export class BillingRefund extends BaseEntity {
  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null;

  @Property({ type: 'text', unique: true })
  stripeRefundId!: string;

  @Property({ type: 'text', nullable: true })
  stripeChargeId?: string | null;

  @Property({ type: 'text', nullable: true })
  paymentIntentId?: string | null;

  /** The invoice the refunded payment paid, when it is one of ours: the refund is matched. */
  @Property({ type: 'text', nullable: true })
  stripeInvoiceId?: string | null;

  @Property({ type: bigint() })
  amount!: number;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  stripeCreatedAt!: Date;
}

@Entity({ tableName: 'billing_dispute' })
export class BillingDispute extends BaseEntity {
  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null;

  @Property({ type: 'text', unique: true })
  stripeDisputeId!: string;

  @Property({ type: 'text', nullable: true })
  stripeChargeId?: string | null;

  @Property({ type: 'text', nullable: true })
  paymentIntentId?: string | null;

  @Property({ type: 'text', nullable: true })
  stripeInvoiceId?: string | null;

  @Property({ type: bigint() })
  amount!: number;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  stripeCreatedAt!: Date;
}

/** The event ledger: one row per Stripe event id, whatever brought it (P5: no payload). */
@Entity({ tableName: 'billing_event' })
@Index({ properties: ['status', 'receivedAt'] })
export class BillingEvent {
  [OptionalProps]?: 'receivedAt' | 'updatedAt' | 'status' | 'attempts' | 'run' | 'lastError' | 'appliedAt' | 'orgId';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'Date', columnType: 'timestamptz' })
  receivedAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'text', unique: true })
  stripeEventId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text', nullable: true })
  apiVersion?: string | null;

  @Property({ type: 'text', nullable: true })
  objectId?: string | null;

  @Property({ type: 'text', nullable: true })
  objectType?: string | null;

  @Property({ type: 'text', nullable: true })
  stripeCustomerId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  stripeCreatedAt!: Date;

  @Enum({ items: () => [...BILLING_EVENT_SOURCES], type: 'text' })
  source!: BillingEventSource;

  @Enum({ items: () => [...BILLING_EVENT_STATUSES], type: 'text' })
  status: BillingEventStatus = 'received';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer' })
  run: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null = null;

  @Property({ type: 'text' })
  payloadSha256!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  appliedAt?: Date | null = null;
}

/** A difference reconciliation found between this database and Stripe, and what was done. */
@Entity({ tableName: 'billing_drift' })
export class BillingDrift extends BaseEntity<'resolvedAt' | 'orgId' | 'stripeCustomerId' | 'localValue' | 'stripeValue'> {
  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  stripeCustomerId?: string | null = null;

  /** subscription, invoice, customer, payment_method */
  @Property({ type: 'text' })
  entity!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'text' })
  field!: string;

  @Property({ type: 'text', nullable: true })
  localValue?: string | null = null;

  @Property({ type: 'text', nullable: true })
  stripeValue?: string | null = null;

  /** healed: this database now agrees with Stripe; flagged: a person must look (open). */
  @Property({ type: 'text' })
  action!: 'healed' | 'flagged';

  /** sweep, resync */
  @Property({ type: 'text' })
  source!: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  resolvedAt?: Date | null = null;
}
