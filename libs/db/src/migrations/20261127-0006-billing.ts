import { Migration } from '@mikro-orm/migrations';

/**
 * Billing on Stripe: per-org billing accounts, subscriptions, invoices, refunds and disputes
 * (P5: ids, statuses, periods, integer minor-unit amounts, and of the customer only its id, card
 * brand, card last four and billing e-mail), the ledger of Stripe events (metadata and a payload
 * hash, never the payload), drift found by reconciliation, the replay cursor, and per-period
 * photo quotas. No table has a foreign key to `organization`: billing records outlive the org
 * for seven years (P14) and a scheduled job purges them after that. Additive only.
 */
export class Migration20261127000006Billing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table "billing_account" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null constraint "billing_account_org_id_unique" unique,
  "stripe_customer_id" text null constraint "billing_account_stripe_customer_id_unique" unique,
  "billing_email" text null,
  "card_brand" text null,
  "card_last4" text null check ("card_last4" ~ '^[0-9]{4}$'),
  "default_payment_method_id" text null,
  "access" text not null default 'none' check ("access" in ('none', 'full', 'grace', 'revoked')),
  "plan_id" text null,
  "stripe_subscription_id" text null,
  "period_start" timestamptz null,
  "period_end" timestamptz null,
  "customer_deleted_at" timestamptz null,
  "synced_at" timestamptz null
);

create table "billing_subscription" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid null,
  "stripe_subscription_id" text not null constraint "billing_subscription_stripe_subscription_id_unique" unique,
  "stripe_customer_id" text not null,
  "status" text not null,
  "price_id" text null,
  "price_lookup_key" text null,
  "plan_id" text null,
  "currency" text null,
  "unit_amount" bigint null,
  "current_period_start" timestamptz null,
  "current_period_end" timestamptz null,
  "cancel_at_period_end" boolean not null default false,
  "cancel_at" timestamptz null,
  "canceled_at" timestamptz null,
  "ended_at" timestamptz null,
  "stripe_created_at" timestamptz not null
);
create index "billing_subscription_org_id_index" on "billing_subscription" ("org_id");
create index "billing_subscription_stripe_customer_id_index" on "billing_subscription" ("stripe_customer_id");

create table "billing_invoice" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid null,
  "stripe_invoice_id" text not null constraint "billing_invoice_stripe_invoice_id_unique" unique,
  "stripe_customer_id" text not null,
  "stripe_subscription_id" text null,
  "number" text null,
  "status" text not null,
  "billing_reason" text null,
  "currency" text not null,
  "amount_due" bigint not null,
  "amount_paid" bigint not null,
  "amount_remaining" bigint not null,
  "total" bigint not null,
  "attempt_count" int not null default 0,
  "next_payment_attempt" timestamptz null,
  "period_start" timestamptz null,
  "period_end" timestamptz null,
  "paid_at" timestamptz null,
  "payment_intent_id" text null,
  "charge_id" text null,
  "stripe_created_at" timestamptz not null
);
create index "billing_invoice_org_id_stripe_created_at_index" on "billing_invoice" ("org_id", "stripe_created_at");
create index "billing_invoice_stripe_created_at_index" on "billing_invoice" ("stripe_created_at");
create index "billing_invoice_payment_intent_id_index" on "billing_invoice" ("payment_intent_id");
create index "billing_invoice_charge_id_index" on "billing_invoice" ("charge_id");

create table "billing_refund" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid null,
  "stripe_refund_id" text not null constraint "billing_refund_stripe_refund_id_unique" unique,
  "stripe_charge_id" text null,
  "payment_intent_id" text null,
  "stripe_invoice_id" text null,
  "amount" bigint not null,
  "currency" text not null,
  "status" text not null,
  "reason" text null,
  "stripe_created_at" timestamptz not null
);
create index "billing_refund_stripe_created_at_index" on "billing_refund" ("stripe_created_at");

create table "billing_dispute" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid null,
  "stripe_dispute_id" text not null constraint "billing_dispute_stripe_dispute_id_unique" unique,
  "stripe_charge_id" text null,
  "payment_intent_id" text null,
  "stripe_invoice_id" text null,
  "amount" bigint not null,
  "currency" text not null,
  "status" text not null,
  "reason" text null,
  "stripe_created_at" timestamptz not null
);
create index "billing_dispute_stripe_created_at_index" on "billing_dispute" ("stripe_created_at");

-- P5: what arrived and what became of it; the payload itself is never stored, only its SHA-256.
create table "billing_event" (
  "id" uuid not null primary key,
  "received_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "stripe_event_id" text not null constraint "billing_event_stripe_event_id_unique" unique,
  "type" text not null,
  "api_version" text null,
  "object_id" text null,
  "object_type" text null,
  "stripe_customer_id" text null,
  "org_id" uuid null,
  "stripe_created_at" timestamptz not null,
  "source" text not null check ("source" in ('webhook', 'replay', 'sweep', 'manual')),
  "status" text not null default 'received' check ("status" in ('received', 'applied', 'ignored', 'unmatched', 'failed')),
  "attempts" int not null default 0,
  "run" int not null default 0,
  "last_error" text null,
  "payload_sha256" text not null check ("payload_sha256" ~ '^[0-9a-f]{64}$'),
  "applied_at" timestamptz null
);
create index "billing_event_status_received_at_index" on "billing_event" ("status", "received_at");
create index "billing_event_stripe_created_at_index" on "billing_event" ("stripe_created_at");

create table "billing_drift" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid null,
  "stripe_customer_id" text null,
  "entity" text not null,
  "entity_id" text not null,
  "field" text not null,
  "local_value" text null,
  "stripe_value" text null,
  "action" text not null check ("action" in ('healed', 'flagged')),
  "source" text not null,
  "resolved_at" timestamptz null
);
create index "billing_drift_created_at_index" on "billing_drift" ("created_at");
create index "billing_drift_open_index" on "billing_drift" ("created_at") where "resolved_at" is null and "action" = 'flagged';

create table "billing_cursor" (
  "name" text not null primary key,
  "updated_at" timestamptz not null,
  "position" timestamptz not null,
  "last_run_at" timestamptz null,
  "last_listed" int not null default 0,
  "last_inserted" int not null default 0
);

-- Photos analysed per org and quota period; one row per period, counted by one atomic update.
create table "plan_usage" (
  "org_id" uuid not null,
  "period_start" timestamptz not null,
  "period_end" timestamptz not null,
  "plan_id" text not null,
  "used" int not null default 0 check ("used" >= 0),
  "updated_at" timestamptz not null,
  constraint "plan_usage_pkey" primary key ("org_id", "period_start")
);
create index "plan_usage_period_end_index" on "plan_usage" ("period_end");

-- Which photo counted in which period: a photo is counted once, whatever retries its job.
create table "plan_usage_charge" (
  "item_id" uuid not null primary key,
  "org_id" uuid not null,
  "period_start" timestamptz not null,
  "charged_at" timestamptz not null
);
create index "plan_usage_charge_charged_at_index" on "plan_usage_charge" ("charged_at");
`);
  }
}
